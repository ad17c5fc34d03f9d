"""One community with CultureWorks, CommunityActivities and MerchantPromotions (and the
PropertyFees the promotions pay into), deployed with the project's deploy helpers and
driven through everything they record. The API, indexer and fuzz tests of culture,
activities and promotions index it and compare the answers with the contracts' views.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from eth_utils import keccak

from backend.chain.deploy_activities import deploy_activities
from backend.chain.deploy_culture import deploy_culture
from backend.chain.deploy_fees import deploy_fees
from tests.activities.conftest import sign_code

HOUR = 3600
DAY = 86400
URI = "ipfs://QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"
# 120 bytes, the contract's longest URI: stored across the work word and three tail words.
LONG_URI = "https://pics.example.org/linli/" + "a" * 89
CALLIGRAPHY, PAINTING, PHOTOGRAPH, STORY, IDEA = 0, 1, 2, 3, 4
BANNER, APP_HOME = 1, 2


def sha(text: str) -> bytes:
    """The sha256 of a work's file (here: of a short text)."""
    return hashlib.sha256(text.encode()).digest()


def work_id(text: str) -> str:
    """A work's id as the API writes it: the file's sha256 as 0x-hex."""
    return "0x" + sha(text).hex()


@dataclass
class CultureScene:
    community: Any
    culture: Any
    activities: Any
    promotions: Any
    fees: Any
    token: Any
    # file text -> work id (0x-hex)
    works: dict[str, str] = field(default_factory=dict)
    # name -> activity id
    activity_ids: dict[str, int] = field(default_factory=dict)
    period: int = 0


def culture_activities_scenario(project, chain, populated, committee, owner_a, owner_b, owner_c, tenant, developer,
                                merchant, provider, roles) -> CultureScene:
    """Works minted, liked (across the daily cap and a reward change), gifted, hidden and
    shown again, exhibited and removed; activities created, proposed, approved, left
    proposed, cancelled and in the future, with sign-ups, a cancelled sign-up, check-ins
    by the organiser and by signed code, and feedback; promotion slots bought at two
    prices by two merchants, a placement withdrawn."""
    # Start an hour into a Beijing day, so the first day's likes share one day's cap.
    chain.pending_timestamp = ((chain.pending_timestamp + 8 * HOUR) // DAY + 1) * DAY - 8 * HOUR + HOUR
    fees_stack = deploy_fees(project, chain, committee, populated)
    fees, token = fees_stack["PropertyFees"], fees_stack["SettlementToken"]
    # 3 points a like, 5 a day per creator: the third like of a day mints nothing.
    culture = deploy_culture(project, chain, committee, populated, like_rate=3, like_daily_cap=5)["CultureWorks"]
    deployed = deploy_activities(project, chain, committee, populated, fees, max_points=100)
    activities, promotions = deployed["CommunityActivities"], deployed["MerchantPromotions"]
    scene = CultureScene(replace(populated, extra={**fees_stack, "CultureWorks": culture, **deployed}),
                         culture, activities, promotions, fees, token)

    # ------------------------------------------------------------ works
    def mint(who, text, kind, title, uri=URI):
        culture.mint_work(title, kind, sha(text), uri, sender=who)
        scene.works[text] = work_id(text)

    mint(owner_a, "couplets", CALLIGRAPHY, "春联")
    mint(owner_a, "lake", PHOTOGRAPH, "湖畔晨光", LONG_URI)
    mint(owner_b, "story", STORY, "外婆的故事")
    mint(tenant, "garden", IDEA, "花园改造的点子")
    couplets, lake, story, garden = (int.from_bytes(sha(t), "big") for t in ("couplets", "lake", "story", "garden"))
    culture.like(couplets, sender=owner_b)    # 3 points to owner_a
    culture.like(couplets, sender=owner_c)    # 2: the cap of 5 reached
    culture.like(story, sender=owner_a)       # 3 to owner_b
    culture.like(story, sender=owner_c)       # 2 to owner_b
    culture.gift(owner_c, lake, sender=owner_a)
    culture.like(lake, sender=developer)      # rewards the creator, still capped: 0
    culture.set_like_reward(4, 10, sender=committee)
    # The tenant likes in its unit's owner's (owner_b's) household, which has not liked lake.
    culture.like(lake, sender=tenant)         # 4 more to owner_a today (cap now 10)
    culture.like(garden, sender=developer)    # 4 to the tenant
    culture.hide_work(story, keccak(text="广告"), sender=committee)
    culture.hide_work(garden, keccak(text="误判"), sender=committee)
    culture.unhide_work(garden, keccak(text="复核后恢复"), sender=committee)
    culture.create_exhibition("春节书画展", sender=committee)
    for token_id in (couplets, lake, garden):
        culture.add_to_exhibition(1, token_id, sender=committee)
    culture.remove_from_exhibition(1, lake, sender=committee)
    culture.create_exhibition("邻里摄影展", sender=committee)
    culture.add_to_exhibition(2, lake, sender=committee)
    culture.set_gifts_enabled(False, sender=committee)

    # ------------------------------------------------------------ promotions
    registry = populated.registry
    registry.grantRole(roles["merchant"], provider.address, sender=committee)
    for who in (merchant, provider):
        token.mint(who, 10**9, sender=committee)
        token.approve(promotions, 2**256 - 1, sender=who)
    promotions.set_price(BANNER, 500_00, sender=committee)
    promotions.set_price(APP_HOME, 300_00, sender=committee)
    period = scene.period = promotions.current_period()
    promotions.buy(BANNER, period, 500_00, sender=merchant)
    promotions.buy(APP_HOME, period + 1, 300_00, sender=merchant)
    promotions.set_price(BANNER, 600_00, sender=committee)
    promotions.buy(BANNER, period + 1, 600_00, sender=provider)
    promotions.buy(BANNER, period + 2, 700_00, sender=merchant)   # pays the price, not the maximum
    promotions.set_price(APP_HOME, 0, sender=committee)
    token.approve(fees, 2**256 - 1, sender=merchant)
    fees.receive_public_income(merchant, 8_000, 1, sender=merchant)  # parking: not promotion income

    # ------------------------------------------------------------ activities
    start = chain.pending_timestamp + DAY
    ids = scene.activity_ids

    def created(tx):
        return tx.decode_logs(activities.ActivityCreated)[0].activity_id

    ids["reading"] = created(activities.create_activity("读书会", keccak(text="读书会"), start, start + 2 * HOUR, 3, 10,
                                                        owner_c, sender=committee))
    ids["walk"] = created(activities.propose_activity("徒步", keccak(text="徒步"), start, start + 3 * HOUR, 5, 5,
                                                      sender=owner_a))
    activities.approve_activity(ids["walk"], sender=committee)
    ids["chess"] = created(activities.propose_activity("象棋赛", keccak(text="象棋赛"), start, start + HOUR, 8, 0,
                                                       sender=owner_b))
    ids["concert"] = created(activities.create_activity("音乐会", keccak(text="音乐会"), start, start + HOUR, 50, 20,
                                                        owner_b, sender=committee))
    ids["festival"] = created(activities.create_activity("中秋晚会", keccak(text="中秋晚会"), start + 60 * DAY,
                                                         start + 60 * DAY + 4 * HOUR, 100, 20, committee,
                                                         sender=committee))
    activities.set_max_points(50, sender=committee)
    activities.cancel_activity(ids["concert"], keccak(text="下雨"), sender=owner_b)
    for who in (owner_a, owner_b, tenant):
        activities.sign_up(ids["reading"], sender=who)
    activities.cancel_sign_up(ids["reading"], sender=tenant)
    activities.sign_up(ids["reading"], sender=developer)
    for who in (owner_b, owner_c, tenant):
        activities.sign_up(ids["walk"], sender=who)
    activities.sign_up(ids["festival"], sender=owner_a)
    chain.pending_timestamp = start
    activities.check_in(ids["reading"], [owner_a.address], sender=owner_c)
    deadline = start + HOUR
    code = sign_code(activities, chain.chain_id, owner_c, ids["reading"], owner_b, deadline)
    activities.check_in_with_code(ids["reading"], owner_b.address, deadline, code, sender=committee)
    activities.check_in(ids["walk"], [owner_b.address, owner_c.address], sender=owner_a)
    code = sign_code(activities, chain.chain_id, owner_a, ids["walk"], tenant, deadline)
    activities.check_in_with_code(ids["walk"], tenant.address, deadline, code, sender=tenant)
    chain.pending_timestamp = start + 3 * HOUR
    activities.leave_feedback(ids["reading"], 5, keccak(text="很好"), sender=owner_a)
    activities.leave_feedback(ids["reading"], 4, b"\x00" * 32, sender=owner_b)
    activities.leave_feedback(ids["walk"], 3, keccak(text="太累"), sender=owner_b)
    activities.leave_feedback(ids["walk"], 4, keccak(text="风景好"), sender=owner_c)
    # A new Beijing day: owner_a's like points start again from 0.
    chain.pending_timestamp = start + DAY
    culture.like(couplets, sender=developer)
    chain.mine()
    return scene
