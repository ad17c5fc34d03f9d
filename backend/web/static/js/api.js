// SPDX-License-Identifier: AGPL-3.0-only
// The read API of the community the backend serves (paths relative to /api/v1/communities/<c>).

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : detail?.message ?? JSON.stringify(detail));
    this.status = status;
    this.detail = detail;
  }
}

// A read turned away for now (503: the API just started and is still building an answer,
// or is at its limit; 429) names in Retry-After when to ask again: a read is asked again
// after that wait and up to half of it more (pages turned away together do not all come
// back at once), at most READ_RETRIES times and only for a wait of READ_RETRY_MAX_S or
// less, before the page says the service is unavailable.
const READ_RETRIES = 4;
const READ_RETRY_MAX_S = 10;

function retryAfterSeconds(response) {
  if (response.status !== 503 && response.status !== 429) return null;
  const raw = response.headers.get("retry-after");
  if (raw === null || !/^\d+$/.test(raw.trim())) return null; // seconds only; an HTTP date is not waited for
  const seconds = Number(raw.trim());
  return seconds <= READ_RETRY_MAX_S ? seconds : null;
}

export class Api {
  constructor(base) {
    this.base = base;
  }

  url(path, params = {}) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== "") query.set(key, value);
    }
    const qs = query.toString();
    return `${this.base}${path}${qs ? "?" + qs : ""}`;
  }

  async get(path, params = {}) {
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(this.url(path, params), { headers: { accept: "application/json" } });
      const body = await response.json().catch(() => null);
      if (response.ok) return body;
      const wait = retryAfterSeconds(response);
      if (wait === null || attempt >= READ_RETRIES) {
        throw new ApiError(response.status, body?.detail ?? response.statusText);
      }
      await new Promise((resolve) => setTimeout(resolve, wait * 1000 * (1 + Math.random() / 2)));
    }
  }

  /** Like get, but null for a 404 (a holder who never had points, say). */
  async maybe(path, params = {}) {
    try {
      return await this.get(path, params);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  async post(absolutePath, body) {
    const response = await fetch(absolutePath, {
      method: "POST", headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, answer?.detail ?? response.statusText);
    return answer;
  }

  /** Wait until the index has written `block` (so what the page shows next includes it).
   * Asked often at first: the indexer follows the head within a few hundred ms. */
  async waitIndexed(block, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; ; i++) {
      const summary = await this.get("");
      if (summary.indexed_block >= block) return summary.indexed_block;
      if (Date.now() > deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, i < 20 ? 75 : 250));
    }
  }
}
