"""The units CSV import: every bad line reported by number, nothing applied unless all are good."""

import ape
import pytest

from backend.chain.demo import demo_community, unit_labels, units_csv
from backend.chain.units_csv import UnitsCsvError, apply_units, batches, check_against_chain, parse_area, parse_units_csv
from tests.utils.identity import commitment_for

A_WALLET = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
B_WALLET = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
A = "0x" + commitment_for("owner_a").hex()
B = "0x" + commitment_for("owner_b").hex()


def csv_of(*lines):
    return "label,area_m2,owner,commitment\n" + "\n".join(lines) + "\n"


def test_good_file_parses_to_centi_square_metres():
    units = parse_units_csv(csv_of(f"3-2-1201,89.5,{A_WALLET},{A}", f"3-2-1202,120,{A_WALLET},{A}", f"3-2-1301,75.25,{B_WALLET},{B}"))
    assert [(u.line, u.label, u.area) for u in units] == [(2, "3-2-1201", 8950), (3, "3-2-1202", 12000), (4, "3-2-1301", 7525)]
    assert units[0].commitment == commitment_for("owner_a")


def test_every_bad_line_is_reported_by_number():
    text = csv_of(
        f"1-1,89.5,{A_WALLET},{A}",
        f",89.5,{A_WALLET},{A}",  # 3: empty label
        f"1-2,0,{A_WALLET},{A}",  # 4: area 0
        f"1-3,-5,{A_WALLET},{A}",  # 5: negative
        f"1-4,1.234,{A_WALLET},{A}",  # 6: three decimals
        f"1-5,abc,{A_WALLET},{A}",  # 7: not a number
        f"1-6,80,{A_WALLET.lower()},{A}",  # 8: no checksum
        f"1-7,80,0x1234,{A}",  # 9: not an address
        f"1-8,80,{B_WALLET},0x1234",  # 10: bad commitment
        f"1-9,80,{B_WALLET},0x{'00' * 32}",  # 11: zero commitment
        f"1-1,80,{A_WALLET},{A}",  # 12: duplicate label
        f"1-10,80,{B_WALLET},{A}",  # 13: commitment given to another wallet
        f"1-11,80,{A_WALLET},{B}",  # 14: wallet with a second commitment
        "1-12,80",  # 15: missing fields
        f"{'x' * 33},80,{B_WALLET},{B}",  # 16: label too long
    )
    with pytest.raises(UnitsCsvError) as info:
        parse_units_csv(text)
    lines = sorted({e.line for e in info.value.errors})
    assert lines == list(range(3, 17))
    messages = str(info.value)
    for fragment in (
        "line 3: label is empty",
        "line 4: area '0' must be greater than 0",
        "line 6: area '1.234' has more than two decimals",
        "line 7: area 'abc' is not a number",
        "line 8: owner",
        "fails the EIP-55 checksum",
        "line 9: owner '0x1234' is not an address",
        "line 10: commitment must be 0x followed by 64 hex digits",
        "line 11: commitment must not be zero",
        "line 12: label '1-1' duplicates line 2",
        "line 13: commitment already given to wallet",
        "line 14: wallet",
        "line 15: expected 4 fields, found 2",
        "line 16: label",
    ):
        assert fragment in messages
    # Beside the CLI's English, each problem's code and parameters, which the pages translate.
    coded = {(e.line, e.code): e.params for e in info.value.errors}
    assert coded[(3, "label_empty")] == {} and coded[(4, "area_not_positive")] == {"text": "0"}
    assert coded[(6, "area_decimals")] == {"text": "1.234"} and coded[(7, "area_not_number")] == {"text": "abc"}
    assert coded[(8, "owner_checksum")] == {"owner": A_WALLET.lower()}
    assert coded[(9, "owner_not_address")] == {"owner": "0x1234"}
    assert (10, "commitment_format") in coded and (11, "commitment_zero") in coded
    assert coded[(12, "label_duplicate")] == {"label": "1-1", "line": 2}
    assert coded[(13, "commitment_other_wallet")] == {"wallet": A_WALLET, "line": 2}
    assert coded[(14, "wallet_other_commitment")] == {"wallet": A_WALLET, "line": 2}
    assert coded[(15, "field_count")] == {"expected": 4, "found": 2}
    assert coded[(16, "label_long")] == {"label": "x" * 33, "max": 32}
    assert all(e.code for e in info.value.errors)


def test_header_and_empty_file_are_checked():
    with pytest.raises(UnitsCsvError, match="line 1: header must be"):
        parse_units_csv("unit,area\n")
    with pytest.raises(UnitsCsvError, match="empty file"):
        parse_units_csv("")
    with pytest.raises(UnitsCsvError, match="no units"):
        parse_units_csv(csv_of())


def test_bom_and_blank_lines_are_tolerated():
    units = parse_units_csv("\ufeff" + csv_of(f"1-1,89.5,{A_WALLET},{A}", "", f"1-2,90,{A_WALLET},{A}"))
    assert [u.line for u in units] == [2, 4]


@pytest.mark.parametrize("text, centi", [("89.5", 8950), ("0.01", 1), ("120", 12000), (" 75.25 ", 7525)])
def test_parse_area(text, centi):
    assert parse_area(text) == centi


def test_batches_respect_the_contract_limit():
    units = parse_units_csv(units_csv(demo_community(["0x" + "%064x" % (i + 1) for i in range(10)])["units"]))
    whole, rest = divmod(len(units), 60)
    assert [len(b) for b in batches(units, 60)] == [60] * whole + ([rest] if rest else [])
    with pytest.raises(ValueError):
        batches(units, 61)


def test_chain_checks_and_apply(populated, registry, committee, owner_a, owner_b, tenant, accounts):
    fresh = accounts.generate_test_account()
    other = accounts.generate_test_account()
    text = csv_of(
        f"1-1-101,80,{fresh.address},0x{commitment_for('fresh').hex()}",  # label taken
        f"9-1,80,{other.address},0x{commitment_for('owner_a').hex()}",  # commitment bound to owner_a
        f"9-2,80,{owner_b.address},0x{commitment_for('someone').hex()}",  # wallet bound to B's identity
        f"9-3,80,{tenant.address},0x{commitment_for('tenant-2').hex()}",  # a linked resident
    )
    units = parse_units_csv(text)
    errors = check_against_chain(units, registry)
    assert [(e.line, e.message.split(" ")[0]) for e in errors] == [(2, "label"), (3, "commitment"), (4, "wallet"), (5, "wallet")]
    before = registry.unit_count()
    good = parse_units_csv(csv_of(f"9-1,80,{fresh.address},0x{commitment_for('fresh').hex()}", f"9-2,81.5,{owner_a.address},0x{commitment_for('owner_a').hex()}"))
    assert check_against_chain(good, registry) == []
    receipts = apply_units(registry, committee, good, batch_size=1, echo=lambda _msg: None)
    assert len(receipts) == 2
    assert registry.unit_count() == before + 2
    assert registry.unit(registry.unit_id_of("9-2"))[1:3] == (8150, owner_a.address)


def test_demo_community_shape():
    demo = demo_community(["0x" + "%064x" % (i + 1) for i in range(10)])
    labels = [label for label, _, _ in demo["units"]]
    assert labels == unit_labels() and len(labels) == 200
    owners = {}
    for _, area, person in demo["units"]:
        assert 8_000 < area < 14_000
        owners.setdefault(person.address, []).append(person)
    assert sum(1 for units in owners.values() if len(units) == 2) == 10
    assert len(owners[demo["developer"].address]) == 20
