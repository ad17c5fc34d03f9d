# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title CommunityTreasury
@custom:contract-name CommunityTreasury
@license GNU Affero General Public License v3.0 only
@notice Decides when the owners' money held by PropertyFees may leave it, and
        for what: every payout is `PropertyFees.disburse`, called only from here,
        and each path below needs the decision the statute names.

        "The assembly" is whoever holds the registry's ASSEMBLY_ROLE: the owners'
        assembly's timelock, so every assembly call here is a passed proposal.

        - Annual budgets (年度预算): the assembly approves, per calendar year and
          fund (fee income, public income), what may be spent that year. The
          committee allocates it to expense categories (the sum over categories
          never exceeds the assembly's amount); the manager records expenses with
          their invoice hash, paid at once, against the category budget of the
          current Beijing year only: a budget never covers another year.
        - Fee income follows the property service contract in force (PropertyFees):
          under 包干制 it is the property company's revenue and the manager pays it
          to that company; under 酬金制 it is the owners' money, spent by the manager
          within budget, and each such expense accrues the company's agreed
          commission, which the manager pays to the company of that contract.
        - The assembly may also pay fee or public income directly (a decision with
          its document hash), outside any budget.
        - The maintenance fund (专项维修资金, 民法典 第二百八十一条) moves by the
          assembly: projects it approves (their total reserved at once, never more
          than the fund) paid in milestones it releases; or, in an emergency
          (elevator, roof leak, fire system …), by the committee without a vote,
          with the housing authority's approval document hash, within a per-use and
          a yearly cap the assembly set (0 until set). Every emergency payment has
          its own event, published at once.
@custom:security The committee cannot spend: it only divides a budget the assembly
                 approved, and pays emergency repairs within the assembly's caps.
                 The manager spends within those category budgets, to any payee
                 but the committee, each expense with its invoice hash: auditable,
                 not impossible to abuse within the budget. Nothing here changes
                 who holds a role; the registry's role admins decide that. The
                 lock on every entry point (and on PropertyFees) refuses a call
                 back through the settlement token.
"""

from interfaces import IHouseholdRegistry
from interfaces import IPropertyFees

import fees_calendar


ASSEMBLY_ROLE: constant(bytes32) = keccak256("linli.role.assembly")
COMMITTEE_ROLE: constant(bytes32) = keccak256("linli.role.committee")
MANAGER_ROLE: constant(bytes32) = keccak256("linli.role.manager")

BPS: constant(uint256) = 10_000
MAX_MILESTONES: constant(uint256) = 8
MASK128: constant(uint256) = 2**128 - 1

# The funds, as PropertyFees numbers them.
FUND_FEE_INCOME: public(constant(uint8)) = 0
FUND_PUBLIC_INCOME: public(constant(uint8)) = 1
FUND_MAINTENANCE: public(constant(uint8)) = 2

MODE_LUMP_SUM: public(constant(uint8)) = 1  # 包干制
MODE_COMMISSION: public(constant(uint8)) = 2  # 酬金制

# Emergencies the maintenance fund may pay without a vote (住宅专项维修资金管理办法 第二十二条).
EMERGENCY_ELEVATOR: public(constant(uint8)) = 1  # 电梯故障
EMERGENCY_ROOF_LEAK: public(constant(uint8)) = 2  # 屋面防水损坏造成渗漏
EMERGENCY_FIRE_SYSTEM: public(constant(uint8)) = 3  # 消防设施故障
EMERGENCY_WATER_SUPPLY: public(constant(uint8)) = 4  # 供水设施损坏导致停水
EMERGENCY_FACADE: public(constant(uint8)) = 5  # 外立面有脱落危险
EMERGENCY_OTHER_DANGER: public(constant(uint8)) = 6  # 其他危及房屋使用和人身财产安全的情况


struct MaintenanceProject:
    payee: address
    doc_hash: bytes32
    milestones: DynArray[uint256, MAX_MILESTONES]
    released: uint256
    paid: uint256
    closed: bool


registry: public(immutable(address))
fees: public(immutable(address))

# (year, fund) -> amount the assembly approved << 128 | sum of the category budgets
_annual: HashMap[uint256, HashMap[uint8, uint256]]
# (year, fund, category) -> category budget << 128 | spent
_budget: HashMap[uint256, HashMap[uint8, HashMap[uint8, uint256]]]
expense_count: public(uint256)
# service contract id -> commission accrued (酬金制) and not yet paid
commission_owed: public(HashMap[uint256, uint256])
decision_payout_count: public(uint256)

maintenance_reserved: public(uint256)
maintenance_project_count: public(uint256)
maintenance_projects: public(HashMap[uint256, MaintenanceProject])

emergency_cap_per_use: public(uint256)
emergency_cap_per_year: public(uint256)
# year -> emergency repairs paid that year
emergency_paid: public(HashMap[uint256, uint256])
emergency_repair_count: public(uint256)


event AnnualBudgetApproved:
    year: indexed(uint256)
    fund: indexed(uint8)
    amount: uint256
    allocated: uint256
    doc_hash: bytes32
    approved_by: indexed(address)

event BudgetAllocated:
    year: indexed(uint256)
    fund: uint8
    category: indexed(uint8)
    amount: uint256
    spent: uint256
    allocated: uint256
    allocated_by: indexed(address)

event ExpenseRecorded:
    expense_id: indexed(uint256)
    category: indexed(uint8)
    payee: indexed(address)
    amount: uint256
    invoice_hash: bytes32
    period: uint256
    fund: uint8
    budget_spent: uint256
    commission: uint256
    contract_id: uint256
    recorded_by: address

event CommissionPaid:
    contract_id: indexed(uint256)
    company: indexed(address)
    amount: uint256
    owed_after: uint256
    paid_by: indexed(address)

event LumpSumPaid:
    contract_id: indexed(uint256)
    company: indexed(address)
    amount: uint256
    paid_by: indexed(address)

event DecisionPayout:
    payout_id: indexed(uint256)
    fund: uint8
    payee: indexed(address)
    amount: uint256
    doc_hash: bytes32
    paid_by: indexed(address)

event MaintenanceProjectApproved:
    project_id: indexed(uint256)
    payee: indexed(address)
    total: uint256
    milestones: DynArray[uint256, MAX_MILESTONES]
    doc_hash: bytes32
    reserved_after: uint256

event MilestoneReleased:
    project_id: indexed(uint256)
    payee: indexed(address)
    index: uint256
    amount: uint256
    remaining: uint256

event MaintenanceProjectClosed:
    project_id: indexed(uint256)
    unreserved: uint256
    reserved_after: uint256
    closed_by: indexed(address)

event EmergencyCapsSet:
    per_use: uint256
    per_year: uint256
    set_by: indexed(address)

event EmergencyRepairPaid:
    repair_id: indexed(uint256)
    kind: indexed(uint8)
    payee: indexed(address)
    amount: uint256
    approval_hash: bytes32
    year: uint256
    paid_this_year: uint256
    paid_by: address


@deploy
def __init__(fees_: address):
    """
    @notice Create the treasury module of the community whose PropertyFees is `fees_`
            (the assembly then names it there once, `PropertyFees.set_treasury`).
    @param fees_ The community's PropertyFees.
    """
    assert fees_ != empty(address), "treasury: fees is the zero address"
    fees = fees_
    registry = staticcall IPropertyFees(fees_).registry()
    assert registry != empty(address), "treasury: fees has no registry"


# ---------------------------------------------------------------- budgets


@external
def approve_annual_budget(year: uint256, fund: uint8, amount: uint256, doc_hash: bytes32):
    """
    @notice Approve (or revise) what fee income or public income may spend in a
            calendar year, this year or a later one. A revision never goes below
            what the committee already allocated.
    @param year The calendar year (e.g. 2026), not before the current Beijing year.
    @param fund FUND_FEE_INCOME (0) or FUND_PUBLIC_INCOME (1).
    @param amount The budget in fen.
    @param doc_hash sha256 of the budget document the owners voted on.
    """
    self._only_assembly()
    self._check_budget_year(year, fund)
    assert amount <= MASK128, "treasury: amount out of range"
    allocated: uint256 = self._annual[year][fund] & MASK128
    assert amount >= allocated, "treasury: budget below allocated"
    self._annual[year][fund] = (amount << 128) | allocated
    log AnnualBudgetApproved(year=year, fund=fund, amount=amount, allocated=allocated, doc_hash=doc_hash, approved_by=msg.sender)


@external
def allocate_budget(year: uint256, fund: uint8, category: uint8, amount: uint256):
    """
    @notice Set (or revise) a category's budget within the assembly's annual budget
            of the year and fund. Fee income is budgeted only under 酬金制.
    @param year The calendar year, not before the current Beijing year.
    @param fund FUND_FEE_INCOME (0) or FUND_PUBLIC_INCOME (1).
    @param category The expense category (> 0; labels in the README).
    @param amount The budget in fen; not below what the category already spent.
    """
    self._only_committee()
    self._check_budget_year(year, fund)
    assert category != 0, "treasury: category 0"
    if fund == FUND_FEE_INCOME:
        self._require_commission_mode()
    word: uint256 = self._budget[year][fund][category]
    spent: uint256 = word & MASK128
    assert amount >= spent, "treasury: budget below spent"
    annual: uint256 = self._annual[year][fund]
    # allocated includes this category's previous budget (word >> 128).
    allocated: uint256 = (annual & MASK128) - (word >> 128) + amount
    assert allocated <= annual >> 128, "treasury: over the annual budget"
    self._annual[year][fund] = (annual & ~MASK128) | allocated
    self._budget[year][fund][category] = (amount << 128) | spent
    log BudgetAllocated(year=year, fund=fund, category=category, amount=amount, spent=spent, allocated=allocated, allocated_by=msg.sender)


# ---------------------------------------------------------------- expenses and the property company


@external
def record_expense(category: uint8, payee: address, amount: uint256, invoice_hash: bytes32, fund: uint8) -> uint256:
    """
    @notice Record an expense and pay it, against the category's budget of the
            current Beijing year. From fee income only under 酬金制, where it
            accrues the commission of the contract in force.
    @param category The expense category (its budget must cover the amount).
    @param payee Who is paid (not the committee).
    @param amount The amount in fen (> 0).
    @param invoice_hash sha256 of the invoice document.
    @param fund FUND_FEE_INCOME (0) or FUND_PUBLIC_INCOME (1).
    @return The expense id (1, 2, …).
    """
    assert self._has_role(MANAGER_ROLE, msg.sender), "treasury: manager only"
    assert fund == FUND_FEE_INCOME or fund == FUND_PUBLIC_INCOME, "treasury: unknown fund"
    assert amount > 0, "treasury: zero amount"
    assert invoice_hash != empty(bytes32), "treasury: empty invoice hash"
    self._check_payee(payee)
    contract_id: uint256 = 0
    commission: uint256 = 0
    if fund == FUND_FEE_INCOME:
        bps: uint256 = 0
        contract_id, bps = self._require_commission_mode()
        commission = amount * bps // BPS
        if commission != 0:
            self.commission_owed[contract_id] += commission
    period: uint256 = fees_calendar._month_of(block.timestamp)
    # A month index divided by 12 is its calendar year.
    year: uint256 = period // 12
    word: uint256 = self._budget[year][fund][category]
    budget: uint256 = word >> 128
    assert budget > 0, "treasury: no budget for the category this year"
    spent: uint256 = (word & MASK128) + amount
    assert spent <= budget, "treasury: over budget"
    self._budget[year][fund][category] = (budget << 128) | spent
    expense_id: uint256 = self.expense_count + 1
    self.expense_count = expense_id
    extcall IPropertyFees(fees).disburse(fund, payee, amount)
    log ExpenseRecorded(
        expense_id=expense_id,
        category=category,
        payee=payee,
        amount=amount,
        invoice_hash=invoice_hash,
        period=period,
        fund=fund,
        budget_spent=spent,
        commission=commission,
        contract_id=contract_id,
        recorded_by=msg.sender,
    )
    return expense_id


@external
def pay_commission(contract_id: uint256, amount: uint256):
    """
    @notice Pay the property company of a 酬金制 contract (part of) the commission
            its expenses accrued, from fee income.
    @param contract_id The service contract the commission accrued under.
    @param amount The amount in fen (> 0, at most what is owed).
    """
    assert self._has_role(MANAGER_ROLE, msg.sender), "treasury: manager only"
    assert amount > 0, "treasury: zero amount"
    owed: uint256 = self.commission_owed[contract_id]
    assert amount <= owed, "treasury: more than the commission owed"
    company: address = empty(address)
    mode: uint8 = 0
    bps: uint256 = 0
    approved: bool = False
    company, mode, bps, approved = staticcall IPropertyFees(fees).service_terms(contract_id)
    owed = unsafe_sub(owed, amount)
    self.commission_owed[contract_id] = owed
    extcall IPropertyFees(fees).disburse(FUND_FEE_INCOME, company, amount)
    log CommissionPaid(contract_id=contract_id, company=company, amount=amount, owed_after=owed, paid_by=msg.sender)


@external
def pay_lump_sum(amount: uint256):
    """
    @notice Under 包干制, pay fee income (the property company's revenue) to the
            company of the service contract in force.
    @param amount The amount in fen (> 0).
    """
    assert self._has_role(MANAGER_ROLE, msg.sender), "treasury: manager only"
    assert amount > 0, "treasury: zero amount"
    contract_id: uint256 = 0
    company: address = empty(address)
    mode: uint8 = 0
    bps: uint256 = 0
    contract_id, company, mode, bps = staticcall IPropertyFees(fees).terms_in_force()
    assert mode == MODE_LUMP_SUM, "treasury: no lump-sum contract in force"
    extcall IPropertyFees(fees).disburse(FUND_FEE_INCOME, company, amount)
    log LumpSumPaid(contract_id=contract_id, company=company, amount=amount, paid_by=msg.sender)


@external
def pay_by_decision(fund: uint8, payee: address, amount: uint256, doc_hash: bytes32) -> uint256:
    """
    @notice Pay fee income or public income as the assembly decided, outside any
            budget (e.g. public income shared out, a one-off purchase).
    @param fund FUND_FEE_INCOME (0) or FUND_PUBLIC_INCOME (1); the maintenance
           fund moves through projects.
    @param payee Who is paid.
    @param amount The amount in fen (> 0).
    @param doc_hash sha256 of the decision document.
    @return The payout id (1, 2, …).
    """
    self._only_assembly()
    assert fund == FUND_FEE_INCOME or fund == FUND_PUBLIC_INCOME, "treasury: unknown fund"
    assert amount > 0, "treasury: zero amount"
    assert doc_hash != empty(bytes32), "treasury: empty document hash"
    payout_id: uint256 = self.decision_payout_count + 1
    self.decision_payout_count = payout_id
    extcall IPropertyFees(fees).disburse(fund, payee, amount)
    log DecisionPayout(payout_id=payout_id, fund=fund, payee=payee, amount=amount, doc_hash=doc_hash, paid_by=msg.sender)
    return payout_id


# ---------------------------------------------------------------- maintenance fund


@external
def approve_maintenance_project(payee: address, milestones: DynArray[uint256, MAX_MILESTONES], doc_hash: bytes32) -> uint256:
    """
    @notice Approve a maintenance project paid from the fund in milestones (首款,
            then 尾款 …); its total is reserved at once, within the unreserved fund.
    @param payee Who is paid.
    @param milestones The amounts of the milestones in order (each > 0, 1..8 of them).
    @param doc_hash Hash of the project document (assembly decision, contract).
    @return The project id (1, 2, …).
    """
    self._only_assembly()
    assert payee != empty(address), "treasury: payee is the zero address"
    assert len(milestones) > 0, "treasury: no milestones"
    total: uint256 = 0
    for amount: uint256 in milestones:
        assert amount > 0, "treasury: zero milestone"
        total += amount
    reserved: uint256 = self.maintenance_reserved + total
    assert reserved <= staticcall IPropertyFees(fees).maintenance_fund(), "treasury: maintenance fund too small"
    self.maintenance_reserved = reserved
    project_id: uint256 = self.maintenance_project_count + 1
    self.maintenance_project_count = project_id
    self.maintenance_projects[project_id] = MaintenanceProject(
        payee=payee, doc_hash=doc_hash, milestones=milestones, released=0, paid=0, closed=False
    )
    log MaintenanceProjectApproved(
        project_id=project_id, payee=payee, total=total, milestones=milestones, doc_hash=doc_hash, reserved_after=reserved
    )
    return project_id


@external
def release_milestone(project_id: uint256):
    """
    @notice Pay the next milestone of a maintenance project to its payee.
    @param project_id The project.
    """
    self._only_assembly()
    project: MaintenanceProject = self.maintenance_projects[project_id]
    assert project.payee != empty(address), "treasury: unknown project"
    assert not project.closed, "treasury: project closed"
    index: uint256 = project.released
    assert index < len(project.milestones), "treasury: project fully paid"
    amount: uint256 = project.milestones[index]
    # amount was reserved at approval, so the reserve stays >= amount.
    self.maintenance_reserved = unsafe_sub(self.maintenance_reserved, amount)
    self.maintenance_projects[project_id].released = index + 1
    self.maintenance_projects[project_id].paid = project.paid + amount
    remaining: uint256 = 0
    for j: uint256 in range(index + 1, len(project.milestones), bound=MAX_MILESTONES):
        remaining += project.milestones[j]
    extcall IPropertyFees(fees).disburse(FUND_MAINTENANCE, project.payee, amount)
    log MilestoneReleased(project_id=project_id, payee=project.payee, index=index, amount=amount, remaining=remaining)


@external
def close_maintenance_project(project_id: uint256):
    """
    @notice Close a project before its last milestone (work abandoned or done for
            less): what was reserved for the unpaid milestones is freed.
    @param project_id The project.
    """
    self._only_assembly()
    project: MaintenanceProject = self.maintenance_projects[project_id]
    assert project.payee != empty(address), "treasury: unknown project"
    assert not project.closed, "treasury: project closed"
    unreserved: uint256 = 0
    for j: uint256 in range(project.released, len(project.milestones), bound=MAX_MILESTONES):
        unreserved += project.milestones[j]
    reserved: uint256 = self.maintenance_reserved - unreserved
    self.maintenance_reserved = reserved
    self.maintenance_projects[project_id].closed = True
    log MaintenanceProjectClosed(project_id=project_id, unreserved=unreserved, reserved_after=reserved, closed_by=msg.sender)


@external
def set_emergency_caps(per_use: uint256, per_year: uint256):
    """
    @notice Set how much the committee may pay from the maintenance fund for an
            emergency repair without a vote: per repair and per calendar year.
    @param per_use The most one emergency repair may cost (fen).
    @param per_year The most emergency repairs may cost in one year (fen).
    """
    self._only_assembly()
    assert per_use <= per_year, "treasury: per-use cap above the yearly cap"
    self.emergency_cap_per_use = per_use
    self.emergency_cap_per_year = per_year
    log EmergencyCapsSet(per_use=per_use, per_year=per_year, set_by=msg.sender)


@external
def pay_emergency_repair(kind: uint8, payee: address, amount: uint256, approval_hash: bytes32) -> uint256:
    """
    @notice Pay an urgent repair from the maintenance fund without a vote (民法典
            第二百八十一条第二款), within the assembly's caps and the unreserved fund.
    @param kind EMERGENCY_* (1 elevator, 2 roof leak, 3 fire system, 4 water supply,
           5 facade, 6 other danger to the building or people).
    @param payee The repairer (not the committee).
    @param amount The amount in fen (> 0).
    @param approval_hash sha256 of the housing authority's approval document.
    @return The emergency repair id (1, 2, …).
    """
    self._only_committee()
    assert kind >= EMERGENCY_ELEVATOR and kind <= EMERGENCY_OTHER_DANGER, "treasury: unknown emergency"
    assert amount > 0, "treasury: zero amount"
    assert approval_hash != empty(bytes32), "treasury: empty approval hash"
    self._check_payee(payee)
    assert amount <= self.emergency_cap_per_use, "treasury: over the per-use emergency cap"
    year: uint256 = fees_calendar._month_of(block.timestamp) // 12
    paid: uint256 = self.emergency_paid[year] + amount
    assert paid <= self.emergency_cap_per_year, "treasury: over the yearly emergency cap"
    assert amount + self.maintenance_reserved <= staticcall IPropertyFees(fees).maintenance_fund(), "treasury: maintenance fund too small"
    self.emergency_paid[year] = paid
    repair_id: uint256 = self.emergency_repair_count + 1
    self.emergency_repair_count = repair_id
    extcall IPropertyFees(fees).disburse(FUND_MAINTENANCE, payee, amount)
    log EmergencyRepairPaid(
        repair_id=repair_id,
        kind=kind,
        payee=payee,
        amount=amount,
        approval_hash=approval_hash,
        year=year,
        paid_this_year=paid,
        paid_by=msg.sender,
    )
    return repair_id


# ---------------------------------------------------------------- views


@external
@view
def annual_budget(year: uint256, fund: uint8) -> (uint256, uint256):
    """
    @notice The assembly's annual budget of a year and fund, and how much of it
            the committee allocated to categories.
    @param year The calendar year.
    @param fund FUND_FEE_INCOME (0) or FUND_PUBLIC_INCOME (1).
    @return approved, allocated (fen).
    """
    word: uint256 = self._annual[year][fund]
    return (word >> 128, word & MASK128)


@external
@view
def budget(year: uint256, fund: uint8, category: uint8) -> (uint256, uint256):
    """
    @notice A category's budget and amount spent for a year and fund.
    @param year The calendar year.
    @param fund FUND_FEE_INCOME (0) or FUND_PUBLIC_INCOME (1).
    @param category The expense category.
    @return budget, spent (fen).
    """
    word: uint256 = self._budget[year][fund][category]
    return (word >> 128, word & MASK128)


@external
@view
def milestones(project_id: uint256) -> DynArray[uint256, MAX_MILESTONES]:
    """
    @notice The milestone amounts of a maintenance project.
    @param project_id The project.
    """
    return self.maintenance_projects[project_id].milestones


@external
@view
def emergency_room() -> uint256:
    """
    @notice What the committee could still pay for one emergency repair now: the
            least of the per-use cap, what is left of this year's cap and the
            unreserved maintenance fund.
    """
    year: uint256 = fees_calendar._month_of(block.timestamp) // 12
    room: uint256 = min(self.emergency_cap_per_use, self.emergency_cap_per_year - min(self.emergency_paid[year], self.emergency_cap_per_year))
    fund: uint256 = staticcall IPropertyFees(fees).maintenance_fund()
    return min(room, fund - min(fund, self.maintenance_reserved))


# ---------------------------------------------------------------- internal


@internal
@view
def _check_budget_year(year: uint256, fund: uint8):
    assert fund == FUND_FEE_INCOME or fund == FUND_PUBLIC_INCOME, "treasury: unknown fund"
    assert year >= fees_calendar._month_of(block.timestamp) // 12, "treasury: year is past"
    assert year < 10_000, "treasury: year out of range"


@internal
@view
def _require_commission_mode() -> (uint256, uint256):
    # The contract in force and its commission; reverts unless it is 酬金制.
    contract_id: uint256 = 0
    company: address = empty(address)
    mode: uint8 = 0
    bps: uint256 = 0
    contract_id, company, mode, bps = staticcall IPropertyFees(fees).terms_in_force()
    assert mode == MODE_COMMISSION, "treasury: fee income is spent only under the commission mode"
    return (contract_id, bps)


@internal
@view
def _check_payee(payee: address):
    assert payee != empty(address), "treasury: payee is the zero address"
    # The committee decides nothing it may be paid by: it never receives owners' money.
    assert not self._has_role(COMMITTEE_ROLE, payee), "treasury: payee is the committee"


@internal
@view
def _has_role(role: bytes32, account: address) -> bool:
    return staticcall IHouseholdRegistry(registry).hasRole(role, account)


@internal
@view
def _only_assembly():
    assert self._has_role(ASSEMBLY_ROLE, msg.sender), "treasury: assembly only"


@internal
@view
def _only_committee():
    assert self._has_role(COMMITTEE_ROLE, msg.sender), "treasury: committee only"
