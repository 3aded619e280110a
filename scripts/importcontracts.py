"""Import-linter contract types of our own: other domains import only a domain's public modules.

Registered in pyproject.toml ([tool.importlinter] contract_types); `lint-imports`, run from the
repository root, imports this module as `scripts.importcontracts`.

A domain (e.g. `lms.quizzes`) is used from outside only through its public modules: the package
itself (`lms.quizzes`, its `__init__`), and by default `lms.quizzes.services` and
`lms.quizzes.models`, plus any module listed in `also_public` (`lms.courses.signals`). Everything
else in the package (`lms.quizzes.attempts`, `lms.courses.package.content`, ...) is private to it:
the package's modules import each other freely, other domains do not. The composition roots
(`lms.app`, `lms.demo`), which wire the domains together, may import anything. Each exception is
written "importer -> imported: reason"; one without a reason, or that no longer matches an import,
breaks the contract, so the list stays short and true.
"""

from __future__ import annotations

import grimp
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck, InvalidContractOptions


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


class PublicModulesContract(Contract):
    """Modules outside a domain import only its public modules (see the module's docstring).

    Options:
        - domains: the domain packages (e.g. lms.accounts).
        - public: the public module names inside each domain (default: services, models).
        - also_public: further public modules, by full name (e.g. lms.courses.signals).
        - composition_roots: modules or packages that may import anything (e.g. lms.app).
        - exceptions: "importer -> imported: reason", one per allowed import of a private module.
    """

    type_name = "public_modules"

    domains = fields.ListField(subfield=fields.StringField())
    public = fields.ListField(subfield=fields.StringField(), default=["services", "models"])
    also_public = fields.ListField(subfield=fields.StringField(), default=[])
    composition_roots = fields.ListField(subfield=fields.StringField(), default=[])
    exceptions = fields.ListField(subfield=fields.StringField(), default=[])

    def validate(self) -> None:
        """Parse the exceptions; each needs an importer, an imported module and a reason."""
        self.allowed: dict[tuple[str, str], str] = {}
        bad = []
        for entry in self.exceptions:  # type: ignore[attr-defined]
            link, _, reason = entry.partition(":")
            importer, arrow, imported = (part.strip() for part in link.partition("->"))
            if not (importer and arrow and imported and reason.strip()):
                bad.append(entry)
                continue
            self.allowed[importer, imported] = reason.strip()
        if bad:
            raise InvalidContractOptions(
                {"exceptions": f"write each as 'importer -> imported: reason'; not: {bad}"}
            )

    def domain_of(self, module: str) -> str | None:
        """Return the domain package a module belongs to, if any."""
        return next((d for d in self.domains if _within(module, d)), None)  # type: ignore[attr-defined]

    def is_public(self, module: str, domain: str) -> bool:
        """Tell whether other domains may import this module of the domain."""
        return (
            module == domain
            or module in {f"{domain}.{name}" for name in self.public}  # type: ignore[attr-defined]
            or module in self.also_public  # type: ignore[attr-defined]
        )

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        """Find every import of a domain's private module from outside the domain."""
        roots = self.composition_roots  # type: ignore[attr-defined]
        illegal, used = [], set()
        for importer in sorted(graph.modules):
            if any(_within(importer, root) for root in roots):
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                domain = self.domain_of(imported)
                if domain is None or _within(importer, domain) or self.is_public(imported, domain):
                    continue
                if (importer, imported) in self.allowed:
                    used.add((importer, imported))
                    continue
                lines = [
                    d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)
                ]
                illegal.append({"importer": importer, "imported": imported, "line_numbers": lines})
        stale = sorted(f"{a} -> {b}" for a, b in set(self.allowed) - used)
        return ContractCheck(
            kept=not illegal and not stale,
            metadata={"illegal_imports": illegal, "stale_exceptions": stale},
            ignored_import_count=len(used),
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        """Print each import of a private module, and each exception that matches nothing."""
        if check.metadata["illegal_imports"]:
            output.print_error("Only a domain's public modules may be imported from outside it:", bold=False)
            output.new_line()
            for link in check.metadata["illegal_imports"]:
                lines = ", ".join(map(str, link["line_numbers"]))
                output.print_error(f"- {link['importer']} -> {link['imported']} (l.{lines})", bold=False)
            output.new_line()
            output.print(
                "Import the domain's services (or models) instead, or list the import under "
                "`exceptions` in pyproject.toml with its reason."
            )
        if check.metadata["stale_exceptions"]:
            output.print_error("Exceptions that match no import any more (remove them):", bold=False)
            for link in check.metadata["stale_exceptions"]:
                output.print_error(f"- {link}", bold=False)
