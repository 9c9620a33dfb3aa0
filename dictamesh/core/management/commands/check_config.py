from django.conf import settings
from django.core import checks
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the effective configuration (secrets redacted) and every problem; exit 1 when there are problems."

    def add_arguments(self, parser):
        parser.add_argument(
            "--markdown", action="store_true", help="print the variables as docs/configuration.md's table"
        )

    def handle(self, *args, markdown=False, **options):
        env = settings.DICTAMESH_CONFIG
        if markdown:
            self.stdout.write("| variable | type | default | required in prod | meaning |")
            self.stdout.write("|---|---|---|---|---|")
            for name in sorted(env.variables):
                var = env.variables[name]
                default = "(unset)" if var.default in (None, "") else str(var.default)
                if isinstance(var.default, list):
                    default = ",".join(var.default) or "(empty)"
                if var.secret and var.default:
                    default = "(development default)"
                required = "yes" if var.required_in_prod else ""
                self.stdout.write(f"| `{name}` | {var.kind} | {default} | {required} | {var.doc} |")
            return
        self.stdout.write(f"DictaMesh configuration (DICTAMESH_ENV={env.name})\n")
        width = max(len(name) for name in env.variables)
        for name in sorted(env.variables):
            var = env.variables[name]
            self.stdout.write(f"  {name:<{width}}  {env.display_value(var)}  [{var.source}]")
        problems = list(env.problems)
        tags = [checks.Tags.security] if env.name == "prod" else None
        for message in checks.run_checks(include_deployment_checks=env.name == "prod", tags=tags):
            if message.level >= checks.ERROR or (env.name == "prod" and message.level >= checks.WARNING):
                problems.append(f"{message.id}: {message.msg}")
        if env.name != "prod":
            for message in checks.run_checks():
                if message.level >= checks.ERROR:
                    problems.append(f"{message.id}: {message.msg}")
        if problems:
            self.stdout.write(f"\n{len(problems)} problem(s):")
            for problem in problems:
                self.stdout.write(f"  - {problem}")
            raise SystemExit(1)
        self.stdout.write("\nno problems")
