"""The admin's adapter form: one field per setting of the adapter's configuration, made from its JSON Schema.

Strings, numbers, booleans and enumerations get their own widgets; a secret (``{"env": NAME}``) is asked for
as the name of its environment variable; anything nested (resources, mappings) is edited as JSON. A change
of kind reloads the page with that kind's fields.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms

from dictamesh.adapters import registry as adapter_registry
from dictamesh.errors import DictaMeshError

from .models import AdapterInstance

PREFIX = "config__"


def _resolve(schema: dict, definitions: dict) -> dict:
    if "$ref" in schema:
        return definitions.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


def _is_secret(schema: dict, definitions: dict) -> bool:
    options = schema.get("anyOf", [schema])
    return any(_resolve(o, definitions).get("format") == "secret" for o in options)


def _plain(schema: dict, definitions: dict) -> dict:
    """The non-null option of an ``anyOf [X, null]``."""
    options = [o for o in schema.get("anyOf", [schema]) if o.get("type") != "null"]
    return _resolve(options[0], definitions) if len(options) == 1 else {}


def config_fields(kind: str) -> dict[str, forms.Field]:
    cls = adapter_registry.get(kind)
    schema = cls.Config.model_json_schema(by_alias=True)
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", []))
    fields: dict[str, forms.Field] = {}
    for name, spec in schema.get("properties", {}).items():
        label = name.replace("_", " ")
        help_text = spec.get("description", "")
        is_required = name in required
        if _is_secret(spec, definitions):
            fields[name] = forms.CharField(
                label=f"{label} (secret)", required=is_required,
                help_text=(help_text + " — the name of the environment variable that holds it").strip(" —"),
            )  # fmt: skip
            continue
        plain = _plain(spec, definitions)
        kind_of = plain.get("type")
        if "enum" in plain:
            choices = [(v, v) for v in plain["enum"]]
            fields[name] = forms.ChoiceField(label=label, choices=choices, required=is_required, help_text=help_text,
                                             initial=spec.get("default"))  # fmt: skip
        elif kind_of == "string":
            fields[name] = forms.CharField(label=label, required=is_required, help_text=help_text,
                                           initial=spec.get("default"))  # fmt: skip
        elif kind_of == "integer":
            fields[name] = forms.IntegerField(label=label, required=is_required, help_text=help_text,
                                              initial=spec.get("default"))  # fmt: skip
        elif kind_of == "number":
            fields[name] = forms.FloatField(label=label, required=is_required, help_text=help_text,
                                            initial=spec.get("default"))  # fmt: skip
        elif kind_of == "boolean":
            fields[name] = forms.BooleanField(label=label, required=False, help_text=help_text,
                                              initial=spec.get("default", False))  # fmt: skip
        else:
            fields[name] = forms.JSONField(label=f"{label} (JSON)", required=is_required, help_text=help_text,
                                           initial=spec.get("default"))  # fmt: skip
    return fields


class InstanceForm(forms.ModelForm):
    """The instance's own settings; ``for_kind`` adds the adapter's (a field per configuration setting)."""

    adapter_kind = ""
    owners = forms.JSONField(required=False, initial=list, help_text='["user:alice", "group:data"]')

    class Meta:
        model = AdapterInstance
        fields = ("name", "kind", "enabled", "domain", "owners", "sync_interval_seconds")

    @classmethod
    def for_kind(cls, kind: str | None, instance: AdapterInstance | None) -> type[InstanceForm]:
        kinds = sorted(adapter_registry.available())
        chosen = kind if kind in kinds else (instance.kind if instance is not None else kinds[0])
        attrs: dict[str, Any] = {
            "adapter_kind": chosen,
            "kind": forms.ChoiceField(
                choices=[(k, k) for k in kinds], initial=chosen,
                help_text="changing it reloads the form with that kind's settings",
                widget=forms.Select(attrs={"onchange": "location.search='?kind='+this.value"}),
            ),
        }  # fmt: skip
        attrs |= {PREFIX + name: field for name, field in config_fields(chosen).items()}
        return type(f"{cls.__name__}For{chosen.title()}", (cls,), attrs)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["name"].disabled = True
            self.initial["kind"] = self.adapter_kind
            if self.instance.kind == self.adapter_kind:
                for name, value in (self.instance.config or {}).items():
                    secret = isinstance(value, dict) and set(value) == {"env"}
                    self.initial[PREFIX + name] = value["env"] if secret else value

    def config(self) -> dict[str, Any]:
        """The configuration the form describes (empty optional settings left to their defaults)."""
        schema = adapter_registry.get(self.adapter_kind).Config.model_json_schema(by_alias=True)
        definitions = schema.get("$defs", {})
        out: dict[str, Any] = {}
        for name, spec in schema.get("properties", {}).items():
            value = self.cleaned_data.get(PREFIX + name)
            if value in (None, "") or (value == [] and name not in schema.get("required", [])):
                continue
            out[name] = {"env": value} if _is_secret(spec, definitions) else value
        return out

    def clean(self):
        data = super().clean()
        if self.adapter_kind != data.get("kind", self.adapter_kind):
            raise forms.ValidationError("The kind changed: reload the form for that kind's settings.")
        try:
            adapter_registry.validate(self.adapter_kind, self.config())
        except adapter_registry.InvalidConfig as exc:
            for where, problem in exc.problems.items():
                field = PREFIX + where.split(".", 1)[0]
                self.add_error(field if field in self.fields else None, f"{where}: {problem}")
        except DictaMeshError as exc:
            raise forms.ValidationError(exc.message) from exc
        return data


def pretty(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)
