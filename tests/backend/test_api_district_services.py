"""The district table against a real chain, with the services scene (SuggestionBox and
its answered, open and declined suggestions) as the listed community: its suggestion
figures are what its own /suggestions/stats says (test_api_district_chain.py checks
the fees and assembly scene the same way; a module holds one scene)."""

from __future__ import annotations

from tests.backend.services_scenario import service_accounts, services_world  # noqa: F401 - fixtures
from tests.backend.test_api_district_chain import district_of


def test_the_suggestion_figures_equal_the_communitys_own(services_world, project, chain, committee, owner_a,
                                                           deploy_other, engine, settings, rpc_url):
    community = services_world["community"]
    table = district_of(community, project, chain, committee, owner_a, deploy_other, engine, settings, rpc_url)
    scene = next(item for item in table["items"] if item["community"] == community.registry.address.lower())
    assert scene["suggestions_received"] > scene["suggestions_answered"] > 0
    assert scene["suggestions_median_time_to_first_answer"] > 0
    assert table["district"]["suggestions_received"] == scene["suggestions_received"]
