# SPDX-License-Identifier: AGPL-3.0-only
"""The owners' committee's commands: `ape run committee <command> --network <network>`.

- `hand-over`: the deployer gives the owners' assembly's powers (the registry's
  ASSEMBLY_ROLE, the points) to the assembly's timelock and its own committee role
  to nobody, after a local demo was seeded with them (`ape run deploy --keep-powers`).
- `status`: who holds which power: the assembly, the committee's Safe (its members,
  threshold, module and guard), and whether the deployer still holds anything.
- `budget --csv FILE [--year Y] [--signer ALIAS …] [--dry-run]`: divide the year's
  annual budgets the assembly approved among expense categories
  (CommunityTreasury.allocate_budget, one line `fund,category,amount_yuan` each; see
  backend/chain/treasury_csv.py). Every line is checked against the file and the chain
  first; one bad line and nothing is sent. The sender is the deployer account
  (LINLI_DEPLOYER_KEY; anvil's account 0 on a local chain): if it holds the committee
  role it sends one transaction per line, else the lines go as ONE transaction of the
  committee's Safe (MultiSendCallOnly, up to 250 lines each) signed by the members
  named with `--signer` (an `ape accounts` alias, `TEST::n` on a local chain) or
  LINLI_COMMITTEE_KEYS.
- `propose --title T --text FILE (--actions FILE | --action 'KIND field=value …') [--matter N]
  [--start 'YYYY-MM-DD HH:MM'] [--voting-days D] [--as-committee --signer ALIAS …] [--dry-run]`:
  a proposal to the owners' assembly composed from the composer's menu of actions (a TOML,
  JSON or CSV file or options, never calldata; backend/chain/proposal_file.py), encoded and
  checked by the composer's own code (backend/chain/proposal_actions.py, the route's), each
  call's class asked of the chain; printed decoded with the statute item and the majority it
  needs. Proposed by the sender as an owner's motion, or `--as-committee` through the
  committee's Safe like `budget`. The full text's SHA-256 is the proposal's document; with
  `--api URL` the text is stored in that backend's document library first (signed in to its
  vault with Ethereum, as the page does), else the command says where to publish it.
- `queue ID`, `execute ID [--sender ALIAS] [--dry-run]`: a passed proposal's calls, as the
  chain logged them when it was proposed, queued in the timelock, then executed (anyone may).
Every command refuses bad input before anything is sent, and prints the transaction hashes.
"""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, ape_cli_context

from backend.chain.accounts import DeployerError, account_by_alias, deployer_account
from backend.chain.deployment import ASSEMBLY_ROLE, Community, hand_over, manifest_path, read_manifest, role_id

ROOT = Path(__file__).resolve().parent.parent


def _community(network, manifest_file) -> Community:
    path = manifest_file or manifest_path(ROOT, network.name, chain.chain_id)
    manifest = read_manifest(path)
    contracts = {name: getattr(project, name).at(entry["address"]) if hasattr(project, name) else entry["address"]
                 for name, entry in manifest["contracts"].items()}
    safe = manifest["contracts"].get("CommitteeSafe", {}).get("address", "")
    return Community(name=manifest["name"], chain_id=manifest["chain_id"], deploy_block=manifest["deploy_block"],
                     registry=contracts.pop("HouseholdRegistry"), points=contracts.pop("CommunityPoints"),
                     extra=contracts, committee=safe)


@click.group(short_help="The owners' committee's commands")
def cli():
    pass


@cli.command("hand-over", cls=ConnectedProviderCommand, short_help="Give the assembly's powers to its timelock")
@ape_cli_context()
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None)
def hand_over_cmd(cli_ctx, network, manifest_file):
    community = _community(network, manifest_file)
    deployer = deployer_account(chain.chain_id)
    if not community.registry.hasRole(ASSEMBLY_ROLE, deployer.address):
        raise click.ClickException(f"{deployer.address} holds no assembly powers: nothing to hand over")
    hand_over(community, deployer)
    click.echo(f"handed over: the assembly is {community.extra['AssemblyTimelock'].address}; "
               f"{deployer.address} keeps nothing")


@cli.command("status", cls=ConnectedProviderCommand, short_help="Who holds which power")
@ape_cli_context()
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None)
def status_cmd(cli_ctx, network, manifest_file):
    from backend.chain.committee_safe import committee_safe_status

    community = _community(network, manifest_file)
    registry, timelock = community.registry, community.extra["AssemblyTimelock"]
    deployer = deployer_account(chain.chain_id)
    click.echo(f"assembly (timelock): {timelock.address}  holders of ASSEMBLY_ROLE: {registry.assembly_holders()}")
    click.echo(f"points owner: {community.points.owner()}")
    held = [name for name in ("assembly", "committee") if registry.hasRole(role_id(name), deployer.address)]
    click.echo(f"deployer {deployer.address}: {', '.join(held) if held else 'no power'}")
    safe = community.extra.get("CommitteeSafe")
    if safe is not None:
        from backend.chain.safe import safe_at

        safe = safe_at(safe)
        status = committee_safe_status(chain, safe, timelock)
        click.echo(f"committee Safe {safe.address}: {status['threshold']} of {len(status['members'])} members "
                   f"{', '.join(status['members'])}; assembly module {'on' if status['module_enabled'] else 'OFF'}; "
                   f"guard {status['guard'] or 'NONE'}")


def _treasury_manifest(network, manifest_file) -> dict:
    path = manifest_file or manifest_path(ROOT, network.name, chain.chain_id)
    manifest = read_manifest(path)
    if manifest["chain_id"] != chain.chain_id:
        raise click.ClickException(f"{path} is for chain {manifest['chain_id']}, connected to {chain.chain_id}")
    if "CommunityTreasury" not in manifest.get("contracts", {}):
        raise click.ClickException(f"{path} has no CommunityTreasury: deploy the fees first")
    return manifest


@cli.command("budget", cls=ConnectedProviderCommand, short_help="Divide a year's budget among categories")
@ape_cli_context()
@click.option("--csv", "csv_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="fund,category,amount_yuan")
@click.option("--year", type=click.IntRange(2000, 9999), default=None, help="The budget year [this Beijing year].")
@click.option("--signer", "signer_aliases", multiple=True,
              help="A member of the committee's Safe who signs (repeat up to the threshold): an `ape accounts` "
                   "alias, or TEST::n on a local chain. Default: the keys in LINLI_COMMITTEE_KEYS.")
@click.option("--dry-run", is_flag=True, help="Check against the file and the chain, print what would be sent.")
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None)
def budget_cmd(cli_ctx, network, csv_file, year, signer_aliases, dry_run, manifest_file):
    """Allocate the annual budgets of --year to the --csv file's categories, as the committee."""
    from backend.chain.committee_safe import committee_caller
    from backend.chain.safe import SafeError
    from backend.chain.treasury_csv import COMMITTEE_ROLE, FUND_NAMES, LINES_PER_SAFE_TX, TreasuryCsvError, \
        all_problems, batches, category_name, check_budget_against_chain, current_year, read_budget_csv, yuan

    manifest = _treasury_manifest(network, manifest_file)
    contracts = manifest["contracts"]
    registry = project.HouseholdRegistry.at(manifest["community"])
    fees = project.PropertyFees.at(contracts["PropertyFees"]["address"])
    treasury = project.CommunityTreasury.at(contracts["CommunityTreasury"]["address"])
    try:
        lines, file_errors = read_budget_csv(csv_file.read_text(encoding="utf-8"))
    except TreasuryCsvError as exc:
        raise click.ClickException(f"{csv_file}: {len(exc.errors)} problem(s), nothing sent:\n{exc}") from exc
    year = current_year(fees) if year is None else year
    errors = all_problems(file_errors, check_budget_against_chain(lines, year, treasury, fees))
    if errors:
        listing = "\n".join(str(e) for e in errors)
        raise click.ClickException(f"{csv_file}: {len(errors)} problem(s), nothing sent:\n{listing}")
    try:
        sender = deployer_account(chain.chain_id)
        signers = [account_by_alias(alias, chain.chain_id) for alias in signer_aliases]
        send = committee_caller(chain, registry, manifest, sender, member_signers=signers or None)
    except (DeployerError, SafeError) as exc:
        role = "" if isinstance(exc, DeployerError) or registry.hasRole(COMMITTEE_ROLE, sender.address) else \
            f"{sender.address} does not hold the committee role, and "
        raise click.ClickException(f"{role}{exc}; nothing sent") from exc
    if send.safe is not None and not registry.hasRole(COMMITTEE_ROLE, send.safe.address):
        raise click.ClickException(f"the Safe {send.safe.address} does not hold the committee role; nothing sent")
    who = (f"the committee's Safe {send.safe.address}, signed by {', '.join(s.address for s in send.signers)}"
           if send.safe is not None else f"the committee {sender.address}")
    for line in lines:
        click.echo(f"line {line.line}: {year} {FUND_NAMES[line.fund]}, {category_name(line.category)}: "
                   f"budget {yuan(line.amount)}")

    def calls(group):
        return [(treasury.allocate_budget, (year, line.fund, line.category, line.amount)) for line in group]

    if dry_run:
        try:
            # A Safe's batch is also run from the Safe's address (nothing kept): what its
            # members would sign, and that it would pass.
            groups = batches(lines, LINES_PER_SAFE_TX) if send.safe is not None else []
            for number, group in enumerate(groups):
                tx = send.safe.propose_batch(calls(group), nonce=send.safe.nonce() + number)
                send.safe.simulate(tx)
                click.echo(f"lines {group[0].line}-{group[-1].line}: one Safe transaction, safeTxHash "
                           f"0x{tx.hash.hex()}, simulated")
        except SafeError as exc:
            raise click.ClickException(f"{exc}; nothing sent") from exc
        click.echo(f"dry run: {len(lines)} allocation(s) valid, would be sent by {who}; nothing sent")
        return
    try:
        if send.safe is None:
            for line in lines:
                receipt = send(treasury.allocate_budget, year, line.fund, line.category, line.amount)
                click.echo(f"line {line.line}: sent, tx {receipt.txn_hash}")
        else:
            for group in batches(lines, LINES_PER_SAFE_TX):
                [receipt] = send.batch(calls(group))
                click.echo(f"lines {group[0].line}-{group[-1].line}: one Safe transaction, {receipt.gas_used:,} gas, "
                           f"tx {receipt.txn_hash}")
    except SafeError as exc:
        raise click.ClickException(f"{exc}; nothing more sent") from exc
    for fund in sorted({line.fund for line in lines}):
        approved, allocated = treasury.annual_budget(year, fund)
        click.echo(f"{year} {FUND_NAMES[fund]}: {yuan(allocated)} of {yuan(approved)} allocated, by {who}")


# ----------------------------------------------------------------- the assembly's proposals

BEIJING = timezone(timedelta(hours=8))
DAY = 86400
PROPOSAL_DETAILS = "ProposalDetails(uint256,address,uint8,bool,bytes32,uint256,uint256,uint256,uint256,uint256)"
STATES = {0: "pending", 1: "voting", 2: "canceled", 3: "defeated", 4: "passed (final result published)",
          5: "queued", 6: "expired", 7: "executed", 8: "passed, in its objection period", 9: "gathering co-signers"}


def _assembly_manifest(network, manifest_file) -> dict:
    from backend.chain.deployment import ManifestError, manifest_with

    path = manifest_file or manifest_path(ROOT, network.name, chain.chain_id)
    try:
        return manifest_with(path, chain.chain_id, "OwnersAssembly", "deploy the assembly first")
    except ManifestError as exc:
        raise click.ClickException(str(exc)) from exc


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, BEIJING).strftime("%Y-%m-%d %H:%M 北京时间")


def _start_time(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.ClickException(f"--start {text!r}: give 'YYYY-MM-DD HH:MM' (Beijing time) or an ISO time "
                                   "with its offset; nothing sent") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BEIJING)
    return int(moment.timestamp())


def _account(alias, what):
    try:
        return account_by_alias(alias, chain.chain_id) if alias else deployer_account(chain.chain_id)
    except DeployerError as exc:
        raise click.ClickException(f"{what}: {exc}; nothing sent") from exc


def _refused(problems: list[str], what: str = "the proposal") -> click.ClickException:
    listing = "\n".join(problems)
    return click.ClickException(f"{what}: {len(problems)} problem(s), nothing sent:\n{listing}")


def _rpc_uri() -> str:
    provider = chain.provider
    return getattr(provider, "http_uri", None) or provider.uri


def _library(api: str, account):
    """A client of the backend at `api` signed in to its vault as `account` (Sign-In with
    Ethereum, as the page does): (ask, token), where ask(method, path, body, token, type)."""
    import json as _json
    import urllib.error
    import urllib.request

    from eth_account.messages import encode_defunct

    base = api.rstrip("/") + "/api/v1"

    def ask(method, path, body=None, token=None, content_type="application/json"):
        data = body if isinstance(body, bytes) or body is None else _json.dumps(body).encode()
        headers = {"accept": "application/json"}
        if data is not None:
            headers["content-type"] = content_type
        if token:
            headers["authorization"] = f"Bearer {token}"
        request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return _json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise click.ClickException(f"the library at {api} answered {exc.code} to {path.split('?')[0]}: "
                                       f"{detail}; nothing sent") from None
        except urllib.error.URLError as exc:
            raise click.ClickException(f"the library at {api} cannot be reached ({exc.reason}); nothing sent") \
                from None

    offer = ask("POST", "/vault/siwe/nonce", {"address": account.address, "language": "en"})
    if offer["chain_id"] != chain.chain_id:
        raise click.ClickException(f"the library at {api} signs in on chain {offer['chain_id']}, connected to "
                                   f"{chain.chain_id}; nothing sent")
    signature = account.sign_message(encode_defunct(text=offer["message"]))
    if signature is None:
        raise click.ClickException("the account did not sign the library's sign-in; nothing sent")
    raw = signature.encode_rsv() if hasattr(signature, "encode_rsv") else bytes(signature)
    session = ask("POST", "/vault/siwe/login", {"message": offer["message"], "signature": "0x" + raw.hex()})
    return ask, session["token"]


def store_in_library(api: str, account, text: bytes, filename: str, expected: str) -> str:
    """The full text stored in the document library of the backend at `api`, signed in to
    its vault as `account` (Sign-In with Ethereum, as the page does): its doc_hash, checked."""
    import urllib.parse

    ask, token = _library(api, account)
    stored = ask("POST", f"/documents?filename={urllib.parse.quote(filename)}", text, token,
                 "text/plain; charset=utf-8")
    if stored["doc_hash"].lower() != expected.lower():
        raise click.ClickException(f"the library stored {stored['doc_hash']}, not {expected}; nothing sent")
    return stored["doc_hash"]


def publish_public_text(api: str, account, text: str, kind: str) -> str:
    """`text` stored in the public texts of the backend at `api` (as the pages' texts.js):
    its SHA-256, checked against what the server keyed it by."""
    import hashlib

    ask, token = _library(api, account)
    expected = "0x" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    stored = ask("POST", "/texts", {"text": text, "kind": kind}, token)
    if stored["text_hash"].lower() != expected:
        raise click.ClickException(f"the public texts stored {stored['text_hash']}, not {expected}; nothing sent")
    return expected


@cli.command("propose", cls=ConnectedProviderCommand, short_help="Propose to the owners' assembly from a menu of actions")
@ape_cli_context()
@click.option("--actions", "actions_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A .toml, .json or .csv file of actions (see README: the committee's command line).")
@click.option("--action", "action_options", multiple=True,
              help="One action and its fields, e.g. 'set_maintenance_share bps=1500' (repeatable).")
@click.option("--matter", type=int, default=None, help="民法典 第二百七十八条 item 1..9 [the one the actions suggest]")
@click.option("--title", required=True, help="The proposal's short public title (at most 256 bytes).")
@click.option("--text", "text_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The proposal's full text (UTF-8): the proposal carries its SHA-256.")
@click.option("--start", default=None,
              help="When the vote opens, 'YYYY-MM-DD HH:MM' Beijing time [the notice period from now, plus 2 hours].")
@click.option("--voting-days", type=int, default=None, help="How long the vote lasts [7, within the rules].")
@click.option("--as-committee", is_flag=True,
              help="Propose as the committee: through its Safe, signed by --signer members (or LINLI_COMMITTEE_KEYS), "
                   "or directly when the sender holds the committee role. Default: the sender's own motion as an owner.")
@click.option("--sender", "sender_alias", default=None,
              help="Who sends (and, as an owner, proposes): an `ape accounts` alias or TEST::n [LINLI_DEPLOYER_KEY].")
@click.option("--signer", "signer_aliases", multiple=True, help="A member of the committee's Safe who signs.")
@click.option("--api", default=None,
              help="Store the full text in the document library of the backend at this address first (e.g. "
                   "https://linli.example), signed in as the sender (an owner) or the first --signer (the committee).")
@click.option("--publish-notice", is_flag=True,
              help="An owner's proposal: publish its notice (公告) right after it, as the pages do (needs --api).")
@click.option("--dry-run", is_flag=True, help="Check and print the calls decoded and what the proposal needs; send nothing.")
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None)
def propose_cmd(cli_ctx, network, actions_file, action_options, matter, title, text_file, start, voting_days,
                as_committee, sender_alias, signer_aliases, api, publish_notice, dry_run, manifest_file):
    """Compose a proposal from the menu of actions (never raw calldata), check it against the
    chain, and propose it; the full text's SHA-256 is the proposal's document."""
    import hashlib

    from backend.chain.proposal_actions import ChainReader, ComposeRefused, compose
    from backend.chain.proposal_file import (ActionsError, actions_from_options, describe, read_actions_file,
                                             refusal_words, request_of, with_doc_hash)
    from backend.chain.safe import SafeError, _raw_call, revert_reason

    manifest = _assembly_manifest(network, manifest_file)
    assembly = project.OwnersAssembly.at(manifest["contracts"]["OwnersAssembly"]["address"])
    registry = project.HouseholdRegistry.at(manifest["community"])
    text = text_file.read_bytes()
    problems = []
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(f"--text {text_file}: not UTF-8 text")
    if not text.strip():
        problems.append(f"--text {text_file}: empty")
    if not title.strip():
        problems.append("--title: empty")
    elif len(title.encode("utf-8")) > 256:
        problems.append(f"--title: {len(title.encode('utf-8'))} bytes, at most 256")
    doc_hash = "0x" + hashlib.sha256(text).hexdigest()
    actions, file_matter = [], None
    try:
        if actions_file is not None:
            actions, file_matter = read_actions_file(actions_file)
        actions = actions + actions_from_options(list(action_options))
    except ActionsError as exc:
        problems.extend(exc.problems)
    if not actions and not problems:
        problems.append("no action: give --actions FILE or --action 'KIND field=value …'")
    if publish_notice and as_committee:
        problems.append("--publish-notice: an owner's proposal only (as the committee, the notice goes in the "
                        "Safe's batch from the composer page, or from the proposal's page)")
    if publish_notice and not api:
        problems.append("--publish-notice: needs --api (the notice's text must be public under the hash the chain keeps)")
    if publish_notice and "NoticeBoard" not in _assembly_manifest(network, manifest_file)["contracts"]:
        problems.append("--publish-notice: this community has no notice board")
    if problems:
        raise _refused(problems)
    actions = with_doc_hash(actions, doc_hash)
    try:
        request = request_of(actions, matter if matter is not None else file_matter)
        composed = compose(manifest["contracts"], request, ChainReader(_rpc_uri()))
    except ActionsError as exc:
        raise _refused(exc.problems) from exc
    except ComposeRefused as exc:
        raise _refused([refusal_words(exc, actions)]) from exc

    now = chain.blocks.head.timestamp
    min_notice, min_voting, max_voting = assembly.min_notice(), assembly.min_voting_period(), assembly.max_voting_period()
    vote_start = _start_time(start) if start else now + min_notice + 2 * 3600
    days = voting_days if voting_days is not None else min(max(7, -(-min_voting // DAY)), max_voting // DAY)
    vote_end = vote_start + days * DAY
    if vote_start < now + min_notice + 60:
        problems.append(f"--start {_when(vote_start)}: the vote may open at the earliest {_when(now + min_notice + 60)} "
                        f"(the notice period is {min_notice / DAY:g} day(s))")
    if not min_voting <= days * DAY <= max_voting:
        problems.append(f"--voting-days {days}: the rules allow {min_voting / DAY:g} to {max_voting / DAY:g} days")
    if problems:
        raise _refused(problems)

    sender = _account(sender_alias, "--sender")
    send, who = None, None
    if as_committee:
        from backend.chain.committee_safe import committee_caller
        try:
            signers = [account_by_alias(alias, chain.chain_id) for alias in signer_aliases]
            send = committee_caller(chain, registry, manifest, sender, member_signers=signers or None)
        except (DeployerError, SafeError) as exc:
            raise click.ClickException(f"{exc}; nothing sent") from exc
        proposer = send.safe.address if send.safe is not None else sender.address
        who = (f"the committee's Safe {proposer}, signed by {', '.join(s.address for s in send.signers)}"
               if send.safe is not None else f"the committee {proposer}")
    else:
        proposer, who = sender.address, f"the owner {sender.address} (an owner's motion)"
    args = (composed["targets"], [int(v) for v in composed["values"]],
            [bytes.fromhex(c[2:]) for c in composed["calldatas"]], composed["matter"], title,
            bytes.fromhex(doc_hash[2:]), vote_start, vote_end)
    # Run as the proposer first (nothing kept): a refusal shows before anything is sent.
    ok, result = _raw_call(chain, proposer, assembly.address, assembly.propose.encode_input(*args))
    if not ok:
        raise _refused([f"the chain refuses it from {proposer}: {revert_reason(result)}"])
    committee_motion = registry.hasRole(role_id("committee"), proposer)

    for line in describe(composed):
        click.echo(line)
    click.echo(f"title: {title}")
    click.echo(f"full text: {text_file}, SHA-256 {doc_hash}")
    click.echo(f"vote: {_when(vote_start)} to {_when(vote_end)} ({days} days); proposed by {who}")
    if not committee_motion:
        click.echo(f"an owner's motion: it goes to the vote once owners holding "
                   f"{assembly.cosign_threshold_bps() / 100:g}% of the heads co-sign it (the proposer counts), "
                   f"before {_when(vote_start)}")
    click.echo(f"notice: the proposal's notice (公告, NoticeBoard.publish_notice, by the proposer or the committee) "
               f"must be published by {_when(vote_start - min_notice)}, {min_notice / DAY:g} day(s) before the vote")
    if dry_run:
        click.echo("dry run: the chain accepts it; nothing sent")
        return

    if api:
        writer = send.signers[0] if send is not None and send.signers else sender
        store_in_library(api, writer, text, f"{title}.txt", doc_hash)
        click.echo(f"full text stored in the document library at {api} under {doc_hash}, by {writer.address}")
    else:
        click.echo(f"full text: publish {text_file} in the community's document library (--api, the proposal page, "
                   f"or POST /api/v1/documents signed in as a member) so that owners can read what {doc_hash} "
                   "names; the chain keeps only the hash")
    try:
        receipt = send(assembly.propose, *args) if send is not None else assembly.propose(*args, sender=sender)
    except SafeError as exc:
        raise click.ClickException(f"{exc}; nothing sent") from exc
    [details] = [log for log in receipt.decode_logs(assembly.ProposalDetails)]
    click.echo(f"proposed: proposal {details.proposalId}, tx {receipt.txn_hash}")
    if publish_notice:
        # The proposal stands whatever becomes of its notice: a refusal says so, and the
        # proposer may publish it later from the proposal's page.
        from backend.chain.proposal_file import AUDIENCE_OWNERS, NOTICE_PROPOSAL, notice_of

        board = project.NoticeBoard.at(manifest["contracts"]["NoticeBoard"]["address"])
        notice_title, notice_text = notice_of(matter=composed["matter"], title=title, doc_hash=doc_hash,
                                              start=vote_start, end=vote_end, major=composed["major"])
        content_hash = publish_public_text(api, sender, notice_text, "notice")
        notice_args = (bytes.fromhex(content_hash[2:]), NOTICE_PROPOSAL, AUDIENCE_OWNERS, "", notice_title,
                       details.proposalId, [bytes.fromhex(doc_hash[2:])])
        ok, result = _raw_call(chain, sender.address, board.address, board.publish_notice.encode_input(*notice_args))
        if not ok:
            raise click.ClickException(f"proposal {details.proposalId} stands; its notice is refused: "
                                       f"{revert_reason(result)} (publish it from the proposal's page)")
        published = board.publish_notice(*notice_args, sender=sender)
        click.echo(f"notice published: notice {board.proposal_notice(details.proposalId)} for proposal "
                   f"{details.proposalId}, text {content_hash}, tx {published.txn_hash}")


def _proposal_calls(manifest, assembly, proposal_id: int):
    """The proposal's calls and document as the chain logged them when it was proposed."""
    from eth_utils import keccak

    topic = "0x" + keccak(text=PROPOSAL_DETAILS).hex()
    logs = chain.provider.web3.eth.get_logs({
        "address": assembly.address, "fromBlock": manifest["deploy_block"], "toBlock": "latest",
        "topics": [topic, "0x" + proposal_id.to_bytes(32, "big").hex()]})
    if not logs:
        raise click.ClickException(f"no proposal {proposal_id} was made to {assembly.address}; nothing sent")
    receipt = chain.provider.get_receipt(logs[0]["transactionHash"].hex() if isinstance(
        logs[0]["transactionHash"], bytes) else logs[0]["transactionHash"])
    created = [e for e in receipt.decode_logs(assembly.ProposalCreated) if e.proposalId == proposal_id]
    details = [e for e in receipt.decode_logs(assembly.ProposalDetails) if e.proposalId == proposal_id]
    event = created[0]
    return ([str(t) for t in event.targets], [int(v) for v in event.values], [bytes(c) for c in event.calldatas],
            bytes(details[0].doc_hash), event.description)


def _run_proposal(step, network, proposal_id, sender_alias, dry_run, manifest_file):
    from backend.chain.proposal_actions import COMPOSED_SELECTORS
    from backend.chain.proposal_file import decoded
    from backend.chain.safe import _raw_call, revert_reason

    manifest = _assembly_manifest(network, manifest_file)
    assembly = project.OwnersAssembly.at(manifest["contracts"]["OwnersAssembly"]["address"])
    targets, values, calldatas, doc_hash, title = _proposal_calls(manifest, assembly, proposal_id)
    click.echo(f"proposal {proposal_id}: {title} — {STATES.get(assembly.state(proposal_id), '?')}")
    for number, (target, data) in enumerate(zip(targets, calldatas), start=1):
        signature = COMPOSED_SELECTORS.get(data[:4])
        click.echo(f"call {number}: {target}.{decoded(signature, data) if signature else '0x' + data.hex()}")
    sender = _account(sender_alias, "--sender")
    method = getattr(assembly, step)
    args = (proposal_id, targets, values, calldatas, doc_hash)
    ok, result = _raw_call(chain, sender.address, assembly.address, method.encode_input(*args))
    if not ok:
        raise click.ClickException(f"the chain refuses to {step} proposal {proposal_id}: {revert_reason(result)}; "
                                   "nothing sent")
    if dry_run:
        click.echo(f"dry run: the chain would {step} it; nothing sent")
        return
    receipt = method(*args, sender=sender)
    done = "queued" if step == "queue" else "executed"
    extra = f", executable from {_when(assembly.proposalEta(proposal_id))}" if step == "queue" else ""
    click.echo(f"{done}: proposal {proposal_id}{extra}, tx {receipt.txn_hash}")


@cli.command("queue", cls=ConnectedProviderCommand, short_help="Queue a passed proposal's calls in the timelock")
@ape_cli_context()
@click.argument("proposal_id", type=int)
@click.option("--sender", "sender_alias", default=None, help="Who sends (anyone may): an alias or TEST::n.")
@click.option("--dry-run", is_flag=True)
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None)
def queue_cmd(cli_ctx, network, proposal_id, sender_alias, dry_run, manifest_file):
    """Queue passed proposal PROPOSAL_ID, with the calls the chain logged when it was proposed."""
    _run_proposal("queue", network, proposal_id, sender_alias, dry_run, manifest_file)


@cli.command("execute", cls=ConnectedProviderCommand, short_help="Execute a queued proposal once its delay is over")
@ape_cli_context()
@click.argument("proposal_id", type=int)
@click.option("--sender", "sender_alias", default=None, help="Who sends (anyone may): an alias or TEST::n.")
@click.option("--dry-run", is_flag=True)
@click.option("--manifest", "manifest_file", type=click.Path(path_type=Path), default=None)
def execute_cmd(cli_ctx, network, proposal_id, sender_alias, dry_run, manifest_file):
    """Execute queued proposal PROPOSAL_ID, with the calls the chain logged when it was proposed."""
    _run_proposal("execute", network, proposal_id, sender_alias, dry_run, manifest_file)
