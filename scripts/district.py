"""The street office's district registry: `ape run district <command> --network <network>`.

    deploy   deploy the district's registry, owned by the street office's Safe: a new
             one (`--street-office-members a,b,c --street-office-threshold 2`) or an
             existing Safe 1.4.1 (`--street-office <Safe>`); on a local chain the
             deployer by default. Prints the address to give the deploy and units
             commands (--district or LINLI_DISTRICT).
    factory  deploy the district's CommunityFactory (and, the first time on a chain, the
             blueprints of every community contract), make it the registry's lister and
             name its deployers (`--deployer a,b`; default the deployer's account), as
             the street office. Prints the address for `ape run deploy --factory` (or
             LINLI_COMMUNITY_FACTORY). `--blueprints-from <factory>` reuses the chain's
             blueprints another factory was made with.
    abandon  give up an unfinished build of the district's factory (`--factory` or
             LINLI_COMMUNITY_FACTORY), by `--id N` or `--name <小区>`, freeing its name
             for a new build: as the build's deployer, or with `--street-office` as the
             street office through its Safe (members' keys in LINLI_STREET_OFFICE_KEYS).
             A listed build is never abandoned (the street office retires it).
    list     the district's communities: id, name, street, HouseholdRegistry, deploy block.
    retire   retire an entry made by mistake, by name, with the sha256 of the street
             office's note saying why (its members' keys in LINLI_STREET_OFFICE_KEYS);
             `--api URL` then stores the note's words in that backend's public texts
             (POST /texts/retirement-notes), so the district page shows them.

A community is deployed and listed in one command: `ape run deploy --district <address>
--street <街道> --name <小区>`, in four transactions with `--factory <address>`.
"""

import hashlib
import json
import time
import urllib.error
import urllib.request

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, ape_cli_context

from backend.chain.accounts import LOCAL_CHAIN_IDS, deployer_account
from backend.chain.community_factory import (
    FACTORY_ENV,
    FactoryError,
    abandon_build,
    blueprints_of,
    deploy_factory,
    enable_factory,
)
from backend.chain.district import (
    DISTRICT_ENV,
    DistrictError,
    deploy_district,
    district_at,
    find_community,
    shared_contracts,
    street_office_caller,
)
from backend.chain.safe import SafeError


def _district(address):
    if not address:
        raise click.ClickException(f"name the district's registry: --district or {DISTRICT_ENV}")
    if not chain.provider.get_code(address):
        raise click.ClickException(f"--district {address} has no code on chain {chain.chain_id}")
    return district_at(project, address)


def _ask(api: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
    """(status, JSON answer) of the backend at `api`; ClickException when it cannot be reached."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"accept": "application/json", **({"content-type": "application/json"} if data else {})}
    request = urllib.request.Request(api.rstrip("/") + "/api/v1" + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"null")
        except ValueError:
            return exc.code, None
    except urllib.error.URLError as exc:
        raise click.ClickException(f"the backend at {api} cannot be reached ({exc.reason})") from None


def publish_note(api: str, community: str, note: str, expected: str, tries: int = 10) -> str:
    """The note stored in the public texts of the backend at `api` as the retirement of
    `community` commits it; the hash the server keyed it by, checked. A node behind the
    one that mined the retirement answers 403 for a moment: asked again, a second apart."""
    for attempt in range(tries):
        status, answer = _ask(api, "POST", "/texts/retirement-notes", {"text": note, "community": community})
        if status in (200, 201):
            if answer["text_hash"].lower() != expected:
                raise click.ClickException(f"the backend at {api} stored the note under {answer['text_hash']}, "
                                           f"not {expected}")
            return expected
        if status not in (403, 503) or attempt == tries - 1:
            detail = (answer or {}).get("detail", answer)
            raise click.ClickException(f"the backend at {api} refused the note ({status}): {detail}")
        time.sleep(1)
    raise AssertionError("unreachable")


@click.group(short_help="The street office's district registry")
def cli():
    pass


@cli.command("deploy", cls=ConnectedProviderCommand)
@ape_cli_context()
@click.option("--street-office", envvar="LINLI_STREET_OFFICE", default=None,
              help="An existing Safe 1.4.1 that is the street office.")
@click.option("--street-office-members", default=None, help="Comma-separated member addresses of a new street office Safe.")
@click.option("--street-office-threshold", type=click.IntRange(1, 64), default=None,
              help="Signatures the new Safe needs (default: a majority of its members).")
def deploy(cli_ctx, network, street_office, street_office_members, street_office_threshold):
    """Deploy the district's registry, owned by the street office."""
    members = [m.strip() for m in (street_office_members or "").split(",") if m.strip()]
    if street_office and members:
        raise click.ClickException("name an existing Safe (--street-office) or the members of a new one, not both")
    if not street_office and not members and chain.chain_id not in LOCAL_CHAIN_IDS:
        raise click.ClickException("name the street office: --street-office <Safe> or --street-office-members a,b,c")
    if street_office and not chain.provider.get_code(street_office) and chain.chain_id not in LOCAL_CHAIN_IDS:
        raise click.ClickException(f"--street-office {street_office} has no code: the street office must be a Safe")
    deployer = deployer_account(chain.chain_id)
    try:
        registry, owner = deploy_district(project, chain, deployer, street_office=street_office, members=members,
                                          threshold=street_office_threshold)
    except SafeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"District registry {registry.address} on chain {chain.chain_id}, street office {owner}")
    click.echo(f"Deploy a community into it: export {DISTRICT_ENV}={registry.address}; "
               "ape run deploy --street <街道> --name <小区>")


@cli.command("factory", cls=ConnectedProviderCommand)
@ape_cli_context()
@click.option("--district", "district_address", envvar=DISTRICT_ENV, default=None)
@click.option("--deployer", "deployers", default=None,
              help="Comma-separated accounts that may build communities (default: the deployer's account).")
@click.option("--blueprints-from", default=None,
              help="A CommunityFactory on this chain whose blueprints to reuse (checked to be this project's code).")
@click.option("--passkey-factory", envvar="LINLI_PASSKEY_FACTORY", default=None,
              help="The chain's PasskeyAccountFactory (default: the one the district's communities list, else a new one).")
@click.option("--settlement-token", envvar="LINLI_SETTLEMENT_TOKEN", default=None,
              help="The chain's CNY settlement token every community settles in (default on a local chain: a "
                   "stand-in per community).")
def factory(cli_ctx, network, district_address, deployers, blueprints_from, passkey_factory, settlement_token):
    """Deploy the district's CommunityFactory and let it list communities."""
    registry = _district(district_address)
    deployer = deployer_account(chain.chain_id)
    accounts = [a.strip() for a in (deployers or "").split(",") if a.strip()] or [deployer.address]
    if settlement_token is None and chain.chain_id not in LOCAL_CHAIN_IDS:
        raise click.ClickException("on a private chain name the settlement token: --settlement-token or "
                                   "LINLI_SETTLEMENT_TOKEN; nothing deployed")
    try:
        send = street_office_caller(chain, registry, deployer)
    except (DistrictError, SafeError) as exc:
        raise click.ClickException(f"{exc}; nothing deployed") from exc
    known = None
    if blueprints_from:
        if not chain.provider.get_code(blueprints_from):
            raise click.ClickException(f"--blueprints-from {blueprints_from} has no code on chain {chain.chain_id}")
        known = blueprints_of(project.CommunityFactory.at(blueprints_from))
    listed = shared_contracts(registry)
    made = deploy_factory(project, chain, deployer, registry, safe_infrastructure=listed.get("safe"),
                          passkey_factory=passkey_factory or listed.get("passkey_factory"), blueprints=known,
                          settlement_token=settlement_token)
    enable_factory(registry, made, accounts, send)
    click.echo(f"CommunityFactory {made.address} for district {registry.address}; deployers: {', '.join(accounts)}")
    click.echo(f"Build a community with it: export {FACTORY_ENV}={made.address}; "
               "ape run deploy --street <街道> --name <小区>")


@cli.command("abandon", cls=ConnectedProviderCommand)
@ape_cli_context()
@click.option("--factory", "factory_address", envvar=FACTORY_ENV, default=None)
@click.option("--id", "build_id", type=click.IntRange(1), default=None, help="The build's id (the deploy prints it).")
@click.option("--name", default=None, help="The community's name the unfinished build reserves.")
@click.option("--street-office", "as_street_office", is_flag=True,
              help="As the street office, through its Safe (its members' keys in LINLI_STREET_OFFICE_KEYS): "
                   "a build of any deployer.")
def abandon(cli_ctx, network, factory_address, build_id, name, as_street_office):
    """Give up an unfinished build of the district's factory and free its name."""
    if not factory_address:
        raise click.ClickException(f"name the district's factory: --factory or {FACTORY_ENV}")
    if (build_id is None) == (name is None):
        raise click.ClickException("name the build: --id N or --name <小区>, one of the two")
    if not chain.provider.get_code(factory_address):
        raise click.ClickException(f"--factory {factory_address} has no code on chain {chain.chain_id}")
    factory = project.CommunityFactory.at(factory_address)
    deployer = deployer_account(chain.chain_id)
    try:
        send = None
        if as_street_office:
            send = street_office_caller(chain, district_at(project, factory.DISTRICT()), deployer)
        done = abandon_build(project, factory, deployer, build_id=build_id, name=name, send=send)
    except (DistrictError, FactoryError, SafeError) as exc:
        raise click.ClickException(f"{exc}; nothing sent") from exc
    click.echo(f"Abandoned build {done.build_id} ({done.name}) of factory {factory.address}")
    click.echo(f"The name {done.name!r} is free again: a new build may begin "
               f"(ape run deploy --factory {factory.address} --name {done.name} …)")


@cli.command("list", cls=ConnectedProviderCommand)
@click.option("--district", "district_address", envvar=DISTRICT_ENV, default=None)
@click.option("--all", "show_retired", is_flag=True, help="Show retired entries too.")
def list_communities(network, district_address, show_retired):
    """Print the district's communities."""
    registry = _district(district_address)
    for community_id in range(1, registry.community_count() + 1):
        entry = registry.community(community_id)
        if entry.retired and not show_retired:
            continue
        flag = "  (retired)" if entry.retired else ""
        click.echo(f"{community_id:>4}  {entry.name}  {entry.street}  {entry.registry}  block {entry.deploy_block}{flag}")


@cli.command("retire", cls=ConnectedProviderCommand)
@ape_cli_context()
@click.argument("name")
@click.option("--district", "district_address", envvar=DISTRICT_ENV, default=None)
@click.option("--note", required=True, help="Why the entry was a mistake (kept off chain; its sha256 goes on chain).")
@click.option("--api", default=None, help="A backend (https://…) whose public texts then keep the note's words, "
                                           "shown on its district page.")
def retire(cli_ctx, network, name, district_address, note, api):
    """Retire the entry of the community NAME, listed by mistake."""
    registry = _district(district_address)
    try:
        community_id = find_community(registry, name)
        send = street_office_caller(chain, registry, deployer_account(chain.chain_id))
    except (DistrictError, SafeError) as exc:
        raise click.ClickException(str(exc)) from exc
    digest = hashlib.sha256(note.encode("utf-8")).digest()
    note_hash = "0x" + digest.hex()
    if api:  # a backend that cannot be reached is found out before anything is sent
        try:
            _ask(api, "GET", f"/texts/{note_hash}")
        except click.ClickException as exc:
            raise click.ClickException(f"{exc.message}; nothing sent") from None
    community = registry.community(community_id).registry
    send(registry.retire_community, community_id, digest)
    click.echo(f"Retired entry {community_id} ({name.strip()}); its name is free again; note {note_hash}")
    if api:
        try:
            publish_note(api, community.lower(), note, note_hash)
        except click.ClickException as exc:
            raise click.ClickException(f"{exc.message}. The entry is retired; store the note later with POST "
                                       f"{api.rstrip('/')}/api/v1/texts/retirement-notes "
                                       f'{{"text": <the note>, "community": "{community.lower()}"}}') from None
        click.echo(f"note stored in the public texts at {api} under {note_hash}")
