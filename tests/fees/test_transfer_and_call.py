"""Paying fees with the settlement token's ERC-1363 `transferAndCall` (issue 17 #23): one
transaction, no signature and no allowance, exactly the amount due. And the ways it could
be abused: a caller that says it paid without paying, a wrong amount, data that names no
payment, a transfer to an account that cannot say what the money was for."""

import ape
from eth_abi import encode

from tests.fees.conftest import RATE

A1 = 8_950  # unit 1 (owner_a), 0.01 m²
MONTHLY_1 = (A1 * RATE + 50) // 100

ERC165_ID = bytes.fromhex("01ffc9a7")
ERC1363_ID = bytes.fromhex("b0202a11")
RECEIVED = bytes.fromhex("88a7ca5c")


def for_units(unit_id: int, months: int) -> bytes:
    return encode(["uint256", "uint256"], [unit_id, months])


def test_the_token_says_it_speaks_erc1363(token):
    assert token.supportsInterface(ERC165_ID) and token.supportsInterface(ERC1363_ID)
    assert not token.supportsInterface(bytes.fromhex("ffffffff"))


def test_pay_by_transfer_and_call(in_force, token, owner_a, clock):
    fees = in_force
    now = clock.month()
    token.approve(fees, 0, sender=owner_a)  # no allowance is needed
    before = token.balanceOf(owner_a)
    tx = token.transferAndCall(fees, MONTHLY_1, for_units(1, 1), sender=owner_a)
    [log] = tx.decode_logs(fees.FeePaid)
    assert (log.unit_id, log.payer, log.from_month, log.to_month, log.amount) == (1, owner_a.address, now, now, MONTHLY_1)
    assert token.balanceOf(owner_a) == before - MONTHLY_1
    assert token.balanceOf(fees) == MONTHLY_1
    assert fees.fee_income() + fees.maintenance_fund() == MONTHLY_1
    assert fees.first_unpaid_month(1) == now + 1
    # The points are the payer's, as with `pay`.
    assert fees.claimable_points(1) == MONTHLY_1 // 100
    assert fees.points_payer(1) == owner_a.address
    assert token.allowance(owner_a, fees) == 0


def test_an_operator_pays_from_another_wallet_whose_points_they_stay(in_force, token, owner_a, tenant, clock):
    """transferFromAndCall: a spender of owner_a's allowance pays; the money and so the
    points are owner_a's, not the spender's."""
    fees = in_force
    token.approve(tenant, MONTHLY_1, sender=owner_a)
    tx = token.transferFromAndCall(owner_a, fees, MONTHLY_1, for_units(1, 1), sender=tenant)
    assert tx.decode_logs(fees.FeePaid)[0].payer == owner_a.address
    assert fees.points_payer(1) == owner_a.address
    assert token.allowance(owner_a, tenant) == 0


def test_nobody_but_the_token_can_say_it_paid(in_force, token, attacker):
    """Attack: call the receiver hook directly, claiming a transfer that never happened."""
    fees = in_force
    with ape.reverts("fees: only the settlement token pays in"):
        fees.onTransferReceived(attacker, attacker, MONTHLY_1, for_units(1, 1), sender=attacker)
    assert fees.first_unpaid_month(1) == fees.current_month()


def test_only_the_exact_amount_due_pays(in_force, token, owner_a):
    fees = in_force
    before = token.balanceOf(owner_a)
    for amount in (MONTHLY_1 - 1, MONTHLY_1 + 1, 0):
        with ape.reverts("fees: payment differs from the amount due"):
            token.transferAndCall(fees, amount, for_units(1, 1), sender=owner_a)
    # The transfer went back with the refusal: nothing left the wallet.
    assert token.balanceOf(owner_a) == before
    assert token.balanceOf(fees) == 0


def test_payment_data_must_name_a_unit_and_months(in_force, token, owner_a):
    fees = in_force
    for data in (b"", b"\x00" * 32, for_units(1, 1) + b"\x00" * 32):
        with ape.reverts("fees: payment data is not (unit, months)"):
            token.transferAndCall(fees, MONTHLY_1, data, sender=owner_a)
    with ape.reverts("fees: unit not registered"):
        token.transferAndCall(fees, MONTHLY_1, for_units(999, 1), sender=owner_a)
    with ape.reverts("fees: zero months"):
        token.transferAndCall(fees, MONTHLY_1, for_units(1, 0), sender=owner_a)
    # Without data (the two-argument form) there is nothing to pay.
    with ape.reverts("fees: payment data is not (unit, months)"):
        token.transferAndCall(fees, MONTHLY_1, sender=owner_a)


def test_a_receiver_must_be_a_contract_that_accepts(in_force, token, owner_a, attacker, points):
    with ape.reverts("token: receiver is not a contract"):
        token.transferAndCall(attacker, 1, b"", sender=owner_a)
    # A contract without the hook (the points contract) cannot receive money this way.
    with ape.reverts():
        token.transferAndCall(points, 1, b"", sender=owner_a)
    # approveAndCall: the fees contract takes no approval hook; an account is not a spender.
    with ape.reverts():
        token.approveAndCall(in_force, 1, b"", sender=owner_a)
    with ape.reverts("token: spender is not a contract"):
        token.approveAndCall(attacker, 1, b"", sender=owner_a)
    assert token.allowance(owner_a, attacker) == 0
