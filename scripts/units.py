"""Committee commands for units: `ape run units import FILE --network <network>`.

A community of a district's shared chain is named instead of its manifest:
`--district <registry> --community <name>` (or LINLI_DISTRICT).

`import` validates every line of the CSV (see backend/chain/units_csv.py for the
format), reports each bad line by number and registers nothing unless all lines are
good, then registers the units in batches of up to 100 per transaction.
"""

from pathlib import Path

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, ape_cli_context

from backend.chain.accounts import deployer_account
from backend.chain.committee_safe import committee_caller
from backend.chain.safe import SafeError
from backend.chain.deployment import manifest_path, read_manifest
from backend.chain.district import DISTRICT_ENV, DistrictError, district_at, manifest_from_district
from backend.chain.units_csv import UNITS_PER_TX, UnitsCsvError, apply_units, check_against_chain, parse_units_csv

ROOT = Path(__file__).resolve().parent.parent


def _manifest(network, manifest_file, community=None, district_address=None):
    if community:
        # A community of a district's shared chain, found by name in the district's registry.
        if not district_address:
            raise click.ClickException(f"--community names a community of a district: name the district too "
                                       f"(--district or {DISTRICT_ENV})")
        if not chain.provider.get_code(district_address):
            raise click.ClickException(f"--district {district_address} has no code on chain {chain.chain_id}")
        try:
            return manifest_from_district(project, chain, district_at(project, district_address), community,
                                          network.name)
        except DistrictError as exc:
            raise click.ClickException(str(exc)) from exc
    path = manifest_file or manifest_path(ROOT, network.name, chain.chain_id)
    manifest = read_manifest(path)
    if manifest["chain_id"] != chain.chain_id:
        raise click.ClickException(f"{path} is for chain {manifest['chain_id']}, connected to {chain.chain_id}")
    return manifest


def _registry(network, manifest_file, community=None, district_address=None):
    return project.HouseholdRegistry.at(_manifest(network, manifest_file, community, district_address)["community"])


@click.group(short_help="Import and list units")
def cli():
    pass


@cli.command("import", cls=ConnectedProviderCommand)
@ape_cli_context()
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch-size", type=click.IntRange(1, UNITS_PER_TX), default=UNITS_PER_TX, show_default=True)
@click.option("--dry-run", is_flag=True, help="Validate only, against the file and the chain.")
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None)
@click.option("--community", default=None, help="The community by name, in the district's registry (instead of --manifest).")
@click.option("--district", "district_address", envvar=DISTRICT_ENV, default=None, help="The district's registry, with --community.")
def import_units(cli_ctx, network, csv_file, batch_size, dry_run, manifest_file, community, district_address):
    """Register the units of CSV_FILE (label,area_m2,owner,commitment). The committee
    is a Safe: give its members' keys (at least the threshold) in LINLI_COMMITTEE_KEYS;
    each batch is one Safe transaction they sign."""
    manifest = _manifest(network, manifest_file, community, district_address)
    registry = project.HouseholdRegistry.at(manifest["community"])
    try:
        units = parse_units_csv(csv_file.read_text(encoding="utf-8"))
    except UnitsCsvError as exc:
        raise click.ClickException(f"{csv_file}: {len(exc.errors)} problem(s), nothing registered:\n{exc}") from exc
    chain_errors = check_against_chain(units, registry)
    if chain_errors:
        listing = "\n".join(str(e) for e in chain_errors)
        raise click.ClickException(f"{csv_file}: {len(chain_errors)} problem(s), nothing registered:\n{listing}")
    click.echo(f"{len(units)} units valid")
    if dry_run:
        return
    sender = deployer_account(chain.chain_id)
    try:
        send = committee_caller(chain, registry, manifest, sender)
    except SafeError as exc:
        raise click.ClickException(f"{exc}; nothing registered") from exc
    apply_units(registry, send, units, batch_size, echo=click.echo)
    area, heads = registry.totals()
    click.echo(f"registered {len(units)} units; community now {registry.unit_count()} units, {area / 100:,.2f} m², {heads} owners")


@cli.command("list", cls=ConnectedProviderCommand)
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None)
@click.option("--community", default=None, help="The community by name, in the district's registry (instead of --manifest).")
@click.option("--district", "district_address", envvar=DISTRICT_ENV, default=None, help="The district's registry, with --community.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
def list_units(network, manifest_file, community, district_address, limit):
    """Print the first units: id, label, area, owner."""
    registry = _registry(network, manifest_file, community, district_address)
    for unit_id in range(1, min(registry.unit_count(), limit) + 1):
        label, area, owner, _commitment, identity = registry.unit(unit_id)
        click.echo(f"{unit_id:>5}  {label:<12} {area / 100:>8.2f} m²  {owner}  identity {identity}")
