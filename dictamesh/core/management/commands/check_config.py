from django.conf import settings
from django.core import checks
from django.core.management.base import BaseCommand


def variables_table(env) -> str:
    """docs/configuration.md's table of every declared variable (production defaults)."""
    base = str(settings.BASE_DIR) + "/"
    lines = ["| variable | type | default | required in prod | meaning |", "|---|---|---|---|---|"]
    for name in sorted(env.variables):
        var = env.variables[name]
        default = "(unset)" if var.default in (None, "") else str(var.default).replace(base, "<checkout>/")
        if isinstance(var.default, list):
            default = ",".join(var.default) or "(empty)"
        if var.secret and var.default:
            default = "(development default)"
        required = "yes" if var.required_in_prod else ""
        lines.append(f"| `{name}` | {var.kind} | {default} | {required} | {var.doc} |")
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Print the effective configuration (secrets redacted) and every problem; exit 1 when there are problems."
    requires_system_checks: list = []  # handle() runs every check itself, once
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--markdown", action="store_true", help="print the variables as a Markdown table")
        parser.add_argument(
            "--write-docs", metavar="PATH", help="rewrite the table under '## Variables' in PATH"
        )

    def handle(self, *args, markdown=False, write_docs=None, **options):
        env = settings.DICTAMESH_CONFIG
        if write_docs:
            with open(write_docs) as handle:
                text = handle.read()
            head = text[: text.index("## Variables")] + "## Variables\n\n"
            with open(write_docs, "w") as handle:
                handle.write(head + variables_table(env))
            return
        if markdown:
            self.stdout.write(variables_table(env), ending="")
            return
        self.stdout.write(f"DictaMesh configuration (DICTAMESH_ENV={env.name})\n")
        width = max(len(name) for name in env.variables)
        for name in sorted(env.variables):
            var = env.variables[name]
            self.stdout.write(f"  {name:<{width}}  {env.display_value(var)}  [{var.source}]")
        problems = list(env.problems)
        warnings = []
        for message in checks.run_checks(include_deployment_checks=env.name == "prod"):
            if message.level >= checks.ERROR:
                problems.append(f"{message.id}: {message.msg}")
            elif message.level >= checks.WARNING:
                warnings.append(f"{message.id}: {message.msg}")
        if warnings:
            self.stdout.write(f"\n{len(warnings)} warning(s), not failing:")
            for warning in warnings:
                self.stdout.write(f"  ~ {warning}")
        if problems:
            self.stdout.write(f"\n{len(problems)} problem(s):")
            for problem in problems:
                self.stdout.write(f"  - {problem}")
            raise SystemExit(1)
        self.stdout.write("\nno problems")
