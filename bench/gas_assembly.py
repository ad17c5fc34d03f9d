"""Gas of the owners' assembly next to OpenZeppelin Governor 5.7 and Snapshot X.

Run (a plain Python script):
    cd /work/main && export PATH=$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH APE_DATA_FOLDER=$PWD/.ape
    python bench/gas_assembly.py

It starts anvil through Ape, deploys through the same helpers as the tests
(deploy_community, deploy_fees, deploy_assembly), registers owners, and prints a
table of whole-transaction gas (21,000 base and calldata included): propose (one
call), castVote (median over many voters), castVoteBySig relayed by another
account (median), set_delegate, castVoteAsDelegate, a vote changed (median), a
paper ballot entered by one teller and confirmed by another (medians), the result
(the preliminary result with the tellers' count reconciled, an objection, the final
result recorded in the assembly), queue, execute; the non-voter rule (served
non-voters recorded and confirmed per owner, the preliminary result that adds them);
and the assembly's deployed code
size against EIP-170's 24,576 bytes.

Anchors from the issue, measured on anvil 1.7.1 as whole-transaction gas:
OpenZeppelin Governor 5.7 (GovernorCountingSimple, one weight and one tally)
propose 68,646, castVote 66,155, castVoteBySig 97,766, queue 144,709, execute
108,778; Snapshot X 43k (vote) / 50k (vote by signature) call gas.
Goals: castVote <= 50k median, castVoteBySig <= 58k median, with both tallies
(area and heads).
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ape import accounts, chain, networks, project  # noqa: E402

from backend.chain.constitution import constitution_entries  # noqa: E402
from backend.chain.deploy_assembly import deploy_assembly  # noqa: E402
from backend.chain.deploy_fees import deploy_fees  # noqa: E402
from backend.chain.deployment import deploy_community  # noqa: E402

DAY = 86400
VOTERS = 120  # in person
SIGNERS = 120  # by relayed signature
DELEGATORS = 20
CHANGERS = 20  # in-person voters who change their vote before the close
PAPER = 40  # owners who vote on paper, entered and confirmed by two tellers
SERVED_VOTERS = 80  # owners who vote on the proposal counted under the non-voter rule; the signers and
# delegators (140) are its served non-voters, recorded and confirmed by the tellers
RAISE_FUND = 6
AGAINST, FOR, ABSTAIN = 0, 1, 2

PARAMS = {
    "timelock_delay": 2 * DAY,
    "min_notice": DAY,
    "min_voting_period": DAY,
    "max_voting_period": 30 * DAY,
    "objection_window": 3 * DAY,
}


def choice(i: int) -> int:
    """Mostly for, some against and abstain, as a real assembly."""
    return AGAINST if i % 10 == 3 else ABSTAIN if i % 10 == 7 else FOR


def sign_ballot(assembly, account, proposal_id: int, support: int) -> bytes:
    message = {
        "domain": {"name": "Linli OwnersAssembly", "version": "1", "chainId": chain.chain_id, "verifyingContract": assembly.address},
        "types": {
            "Ballot": [
                {"name": "proposalId", "type": "uint256"},
                {"name": "support", "type": "uint8"},
                {"name": "voter", "type": "address"},
            ]
        },
        "primaryType": "Ballot",
        "message": {"proposalId": proposal_id, "support": support, "voter": account.address},
    }
    return bytes(Account.sign_message(encode_typed_data(full_message=message), account.private_key).signature)


def row(name: str, gas: int | str, anchor: str, goal: str = "") -> str:
    gas_text = f"{gas:,}" if isinstance(gas, int) else gas
    return f"| {name:<42} | {gas_text:>10} | {anchor:<28} | {goal:<14} |"


def main() -> None:
    with networks.parse_network_choice("ethereum:local:foundry"):
        committee = accounts.test_accounts[0]
        relayer = accounts.test_accounts[1]
        delegate = accounts.test_accounts[2]

        community = deploy_community(project, chain, committee, name="基准小区")
        registry = community.registry
        fees = deploy_fees(project, chain, committee, community)["PropertyFees"]
        gov = deploy_assembly(project, chain, committee, community, **PARAMS)
        assembly = gov["OwnersAssembly"]
        gov["Constitution"].set_call_class(constitution_entries({"PropertyFees": fees}), sender=committee)

        owners = [accounts.test_accounts.generate_test_account() for _ in range(VOTERS + SIGNERS + DELEGATORS + PAPER)]
        units = [
            (f"9-{i // 100}-{i % 100:02d}", 8_000 + (i * 37) % 5_000, owner.address, keccak(text=f"bench-assembly-{i}"))
            for i, owner in enumerate(owners)
        ]
        for k in range(0, len(units), 60):  # the registry's batch limit
            registry.register_units(units[k : k + 60], sender=committee)
        for owner in owners[:VOTERS] + owners[VOTERS + SIGNERS : VOTERS + SIGNERS + DELEGATORS]:
            chain.set_balance(owner.address, 10**19)
        in_person = owners[:VOTERS]
        signers = owners[VOTERS : VOTERS + SIGNERS]
        delegators = owners[VOTERS + SIGNERS : VOTERS + SIGNERS + DELEGATORS]
        on_paper = owners[VOTERS + SIGNERS + DELEGATORS :]
        paper = gov["PaperBallots"]
        tellers = in_person[:2]

        # propose: one call (raise the maintenance fund's share, a major matter)
        targets, values = [fees.address], [0]
        calldatas = [fees.set_maintenance_share.encode_input(2_000)]
        doc_hash = keccak(text="关于提高专项维修资金续筹比例的议案")
        start = chain.pending_timestamp + DAY + 60
        end = start + 7 * DAY
        tx = assembly.propose(targets, values, calldatas, RAISE_FUND, "提高维修资金续筹比例", doc_hash, start, end, sender=committee)
        propose_gas = tx.gas_used
        [created] = tx.decode_logs(assembly.ProposalCreated)
        pid = created.proposalId

        delegate_gas = [assembly.set_delegate(delegate.address, 0, sender=o).gas_used for o in delegators]
        paper.appoint_tellers(pid, [t.address for t in tellers], sender=committee)
        # A second proposal counted under the non-voter rule (指导规则 第二十六条第二款),
        # made after the assembly turned it on (the first one is not): same window.
        rule_gas = paper.set_nonvoter_rule(True, sender=committee).gas_used
        ruled = assembly.propose([], [], [], 9, "议事规则：未表决业主计入多数票", keccak(text="规则议案"), start, end,
                                 sender=committee).decode_logs(assembly.ProposalCreated)[0].proposalId
        paper.appoint_tellers(ruled, [t.address for t in tellers], sender=committee)

        chain.pending_timestamp = start
        chain.mine()
        vote_gas = [assembly.castVote(pid, choice(i), sender=o).gas_used for i, o in enumerate(in_person)]
        sig_gas = [
            assembly.castVoteBySig(pid, choice(i), o.address, sign_ballot(assembly, o, pid, choice(i)), sender=relayer).gas_used
            for i, o in enumerate(signers)
        ]
        one_by_delegate = assembly.castVoteAsDelegate(pid, [delegators[0].address], FOR, sender=delegate).gas_used
        batch = [o.address for o in delegators[1:]]
        batch_gas = assembly.castVoteAsDelegate(pid, batch, FOR, sender=delegate).gas_used
        # Changing one's mind: the old ballot off its tally word, the new one on.
        change_gas = [assembly.castVote(pid, AGAINST if choice(i) != AGAINST else FOR, sender=o).gas_used
                      for i, o in enumerate(in_person[:CHANGERS])]
        enter_gas, confirm_gas = [], []
        for i, owner in enumerate(on_paper):
            identity = registry.identity_of(owner.address)[1]
            scan = keccak(text=f"bench paper ballot {i}")
            enter_gas.append(paper.enter_ballot(pid, identity, choice(i), scan, sender=tellers[0]).gas_used)
            confirm_gas.append(paper.confirm_ballot(pid, identity, choice(i), scan, sender=tellers[1]).gas_used)
        paper.declare_collected(pid, PAPER, sender=tellers[0])
        paper.confirm_collected(pid, PAPER, sender=tellers[1])
        assert paper.reconciled(pid)
        # On the ruled proposal a third of the owners vote for; nobody on paper.
        for o in in_person[:SERVED_VOTERS]:
            assembly.castVote(ruled, FOR, sender=o)
        paper.declare_collected(ruled, 0, sender=tellers[0])
        paper.confirm_collected(ruled, 0, sender=tellers[1])

        # The result the legal way: preliminary, an objection, the final result.
        chain.pending_timestamp = end
        chain.mine()
        preliminary_tx = paper.publish_preliminary(pid, sender=relayer)
        # Served non-voters of the ruled proposal: recorded by one teller, confirmed by another, in full batches.
        served = [registry.identity_of(o.address)[1] for o in signers + delegators]
        evidence = keccak(text="送达回执")
        record_gas, served_confirm_gas = [], []
        batch_size = paper.MAX_SERVED()
        for k in range(0, len(served), batch_size):
            chunk = served[k : k + batch_size]
            tx = paper.record_service(ruled, chunk, evidence, sender=tellers[0])
            record_gas.append((tx.gas_used, len(chunk)))
            tx = paper.confirm_service(ruled, k // batch_size, chunk, evidence, sender=tellers[1])
            served_confirm_gas.append((tx.gas_used, len(chunk)))
        ruled_tx = paper.publish_preliminary(ruled, sender=relayer)
        [deemed] = ruled_tx.decode_logs(paper.DeemedVotes)
        assert deemed.heads == len(served) and paper.deemed_pass(ruled), deemed
        objection_tx = paper.object_result(pid, keccak(text="异议"), sender=in_person[5])
        chain.pending_timestamp = paper.objection_ends(pid)
        chain.mine()
        final_tx = paper.publish_final(pid, sender=relayer)
        queue_tx = assembly.queue(pid, targets, values, calldatas, doc_hash, sender=relayer)
        chain.pending_timestamp = queue_tx.timestamp + PARAMS["timelock_delay"]
        chain.mine()
        execute_tx = assembly.execute(pid, targets, values, calldatas, doc_hash, sender=relayer)
        assert fees.maintenance_share() == 2_000

        code_size = len(chain.provider.get_code(assembly.address))
        median_vote = int(statistics.median(vote_gas))
        median_sig = int(statistics.median(sig_gas))
        print()
        print(f"OwnersAssembly gas on anvil, whole transaction ({len(owners)} owners; {VOTERS} in person, {SIGNERS} signed)")
        print(row("operation", "gas", "OZ Governor 5.7 / Snapshot X", "goal"))
        print(row("-" * 42, "-" * 10, "-" * 28, "-" * 14))
        print(row("propose (one call, classified)", propose_gas, "68,646"))
        print(row("castVote, median", median_vote, "66,155 / SX 43k call gas", "<= 50,000 " + ("ok" if median_vote <= 50_000 else "MISSED")))
        print(row("castVote, first (new record word + tally)", vote_gas[0], "paid once per 64 owners"))
        print(row("castVoteBySig relayed, median", median_sig, "97,766 / SX 50k call gas", "<= 58,000 " + ("ok" if median_sig <= 58_000 else "MISSED")))
        print(row("set_delegate (standing), median", int(statistics.median(delegate_gas)), "n/a (OZ: token delegation)"))
        print(row("castVoteAsDelegate, 1 owner", one_by_delegate, ""))
        print(row(f"castVoteAsDelegate, per owner of {len(batch)}", batch_gas // len(batch), ""))
        print(row("castVote changing one's vote, median", int(statistics.median(change_gas)), "n/a (OZ: one ballot)"))
        print(row("paper ballot entered (teller), median", int(statistics.median(enter_gas)), ""))
        print(row("paper ballot confirmed (2nd teller), median", int(statistics.median(confirm_gas)), "counts it in the assembly"))
        print(row("preliminary result (paper count checked)", preliminary_tx.gas_used, ""))
        print(row("set_nonvoter_rule", rule_gas, "once, by a passed proposal"))
        full_record, full_n = record_gas[0]
        full_confirm, _ = served_confirm_gas[0]
        print(row(f"record_service, per owner ({full_n} a call)", full_record // full_n, f"{full_record:,} the call"))
        print(row(f"confirm_service, per owner ({full_n} a call)", full_confirm // full_n, f"{full_confirm:,} the call"))
        print(row("preliminary result with the rule (added)", ruled_tx.gas_used, "DeemedVotes"))
        print(row("objection to the preliminary result", objection_tx.gas_used, ""))
        print(row("final result (recorded in the assembly)", final_tx.gas_used, "OZ: none (state only)"))
        print(row("queue (one call)", queue_tx.gas_used, "144,709"))
        print(row("execute (one call)", execute_tx.gas_used, "108,778"))
        print(f"OwnersAssembly deployed code: {code_size:,} bytes (EIP-170 limit 24,576; "
              f"{24_576 - code_size:,} to spare)")
        print()


if __name__ == "__main__":
    main()
