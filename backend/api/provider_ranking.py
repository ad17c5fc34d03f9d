"""How providers are ranked for a service request: the formula, in one place.

Each provider gets five component values, each in [0, 1], and a score that is their
weighted sum (the weights add up to 1):

- category_fit, weight 0.30: x / (x + 2), x = jobs completed in the request's
  category + ¼ × the provider's other offers there (fresh offers; revisions do not
  count): 0 with no history there, 0.5 at two completed jobs.
- rating, weight 0.30: (R − 1) / 4 with R the Bayesian average
  (5 × 3 + sum of scores) / (5 + number of ratings): every provider starts with five
  pseudo-ratings of 3 stars, the middle of the scale, so one 5-star job (R = 3.33)
  does not beat fifty 4.8s (R = 4.64).
- completed_jobs, weight 0.20: j / (j + 5), j = jobs completed (confirmed or
  released, as the contract counts): 0.5 at five jobs.
- response_time, weight 0.10: 1 / (1 + t / 6 h), t = mean of offer time − request
  time over the provider's fresh offers (each capped at 7 days): 1 at once, 0.5 at six
  hours; 0.5 with no offer yet.
- price_history, weight 0.10: min(1, 2 × (1 − r)), r = mean price / budget of the
  provider's accepted jobs: 0 when it takes the whole budget, 0.5 at three quarters,
  1 at half or less; 0.5 with no accepted job yet.

The prior is the middle of the scale, not the community's mean rating: where most
jobs are rated near 4.8, a prior at the mean would pull one 5-star job up to 4.83,
above fifty 4.8s. Ties (equal scores to 9 decimals) go to more completed jobs, then
to the lower address, so the order is the same on every call and every database.
"""

from __future__ import annotations

from typing import NamedTuple

from backend.indexer.services_projection import PPM, RESPONSE_CAP_S

WEIGHTS = {"category_fit": 0.30, "rating": 0.30, "completed_jobs": 0.20, "response_time": 0.10,
           "price_history": 0.10}
CATEGORY_HALF = 2.0
OFFER_FIT_WEIGHT = 0.25
RATING_PRIOR_WEIGHT = 5
RATING_PRIOR_MEAN = 3.0
JOBS_HALF = 5.0
RESPONSE_HALF_S = 6 * 3600
NO_DATA = 0.5

FORMULA = (
    "score = 0.30 × category_fit + 0.30 × rating + 0.20 × completed_jobs + 0.10 × response_time "
    "+ 0.10 × price_history, each in [0, 1]. category_fit = x / (x + 2) with x = jobs completed in the "
    "category + 0.25 × other fresh offers in the category; rating = (R − 1) / 4 with the Bayesian "
    "average R = (5 × 3 + sum of scores) / (5 + ratings), five pseudo-ratings of 3 stars; completed_jobs = "
    "j / (j + 5); response_time = 1 / (1 + t / 6 h), t the mean offer delay (each capped at 7 days), 0.5 "
    "without offers; price_history = min(1, 2 × (1 − r)), r the mean price / budget of accepted jobs, 0.5 "
    "without jobs. Ties: more completed jobs, then the lower address."
)


class ProviderHistory(NamedTuple):
    """What the ranking reads of one provider (service_providers and the category's row)."""

    provider: str
    offers: int = 0
    response_seconds: int = 0
    jobs_accepted: int = 0
    price_ratio_ppm: int = 0
    jobs_completed: int = 0
    rating_count: int = 0
    rating_sum: int = 0
    category_offers: int = 0
    category_jobs_completed: int = 0


def bayesian_rating(rating_count: int, rating_sum: int) -> float:
    """The provider's mean score after five pseudo-ratings of 3 stars."""
    return (RATING_PRIOR_WEIGHT * RATING_PRIOR_MEAN + rating_sum) / (RATING_PRIOR_WEIGHT + rating_count)


def mean_response_seconds(history: ProviderHistory) -> float | None:
    return history.response_seconds / history.offers if history.offers else None


def mean_price_ratio(history: ProviderHistory) -> float | None:
    return history.price_ratio_ppm / history.jobs_accepted / PPM if history.jobs_accepted else None


def values(history: ProviderHistory) -> tuple[float, float, float, float, float]:
    """The five component values, in the order of WEIGHTS.

    Every provider of the community is scored on every call, so this is the only
    part computed for all of them; the sentences are written for the ones returned.
    """
    category_done = history.category_jobs_completed
    fit_x = category_done + OFFER_FIT_WEIGHT * max(history.category_offers - category_done, 0)
    jobs = history.jobs_completed
    return (
        fit_x / (fit_x + CATEGORY_HALF),
        (bayesian_rating(history.rating_count, history.rating_sum) - 1) / 4,
        jobs / (jobs + JOBS_HALF),
        1 / (1 + history.response_seconds / history.offers / RESPONSE_HALF_S) if history.offers else NO_DATA,
        min(1.0, 2 * (1 - history.price_ratio_ppm / history.jobs_accepted / PPM)) if history.jobs_accepted
        else NO_DATA,
    )


_W = tuple(WEIGHTS.values())


def score(v: tuple[float, float, float, float, float]) -> float:
    # Written out: called for every provider on every request.
    return _W[0] * v[0] + _W[1] * v[1] + _W[2] * v[2] + _W[3] * v[3] + _W[4] * v[4]


def explanations(history: ProviderHistory) -> tuple[str, str, str, str, str]:
    """The sentence that explains each component's value, in the order of WEIGHTS."""
    fit_x = history.category_jobs_completed + OFFER_FIT_WEIGHT * max(
        history.category_offers - history.category_jobs_completed, 0)
    response = mean_response_seconds(history)
    ratio = mean_price_ratio(history)
    return (
        f"{history.category_jobs_completed} jobs completed and {history.category_offers} offers in this "
        f"category: x = {fit_x:g}, x / (x + 2)",
        f"{history.rating_count} ratings summing to {history.rating_sum}; with 5 pseudo-ratings of 3 stars: "
        f"{bayesian_rating(history.rating_count, history.rating_sum):.3f} stars, (R − 1) / 4",
        f"{history.jobs_completed} jobs completed: j / (j + 5)",
        "no offer yet: neutral 0.5" if response is None else
        f"mean offer delay {response / 3600:.2f} h over {history.offers} offers "
        f"(each capped at {RESPONSE_CAP_S // 86400} days): 1 / (1 + t / 6 h)",
        "no accepted job yet: neutral 0.5" if ratio is None else
        f"accepted prices averaged {ratio:.1%} of the budget over {history.jobs_accepted} jobs: "
        f"min(1, 2 × (1 − r))",
    )


class Scored(NamedTuple):
    history: ProviderHistory
    score: float
    values: tuple[float, float, float, float, float]


def order(histories: list[ProviderHistory]) -> list[Scored]:
    """Every provider scored, best first, deterministically (no explanations written)."""
    keyed = []
    for history in histories:
        parts = values(history)
        total = score(parts)
        keyed.append((-round(total, 9), -history.jobs_completed, history.provider, Scored(history, total, parts)))
    keyed.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in keyed]


def explain(scored: Scored) -> dict[str, tuple[float, str]]:
    """name -> (value, the sentence that explains it), in the order of WEIGHTS."""
    return dict(zip(WEIGHTS, zip(scored.values, explanations(scored.history))))


def rank(histories: list[ProviderHistory]) -> list[tuple[Scored, dict[str, tuple[float, str]]]]:
    """Every provider, best first, with its components explained."""
    return [(scored, explain(scored)) for scored in order(histories)]
