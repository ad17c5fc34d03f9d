"""The district table against a real chain, with the culture scene (CommunityActivities
with sign-ups and check-ins, merchants paid in points) as the listed community: its
activity and points figures are what its own routes say (test_api_district_chain.py
holds the check; a module holds one scene)."""

from __future__ import annotations

from tests.backend.test_api_district_chain import district_of


def test_the_activity_figures_equal_the_communitys_own(culture_scene, project, chain, committee, owner_a,
                                                         deploy_other, engine, settings, rpc_url):
    community = culture_scene.community
    table = district_of(community, project, chain, committee, owner_a, deploy_other, engine, settings, rpc_url)
    scene = next(item for item in table["items"] if item["community"] == community.registry.address.lower())
    assert scene["activities"] > 0 and scene["activity_check_ins"] > 0 and scene["points_issued"] > 0
    assert table["district"]["activity_check_ins"] == scene["activity_check_ins"]
