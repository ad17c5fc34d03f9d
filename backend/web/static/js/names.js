// SPDX-License-Identifier: AGPL-3.0-only
// Names, not addresses: the community's directory of organisations (merchants, providers,
// the property company, payees, organisers), fetched once and shared by every page. An
// organisation's wallet reads as its name, the full address on hover and a link to its
// entry; any other address (a resident's: people are never named) stays as it was.
// The community's own bodies need no entry anyone signs: the committee's Safe and the
// assembly's timelock read as their public names from the contracts of the manifest the
// pages load (setOfficial), before and above any directory entry.

import { t } from "./i18n.js";
import { esc, shortAddress } from "./format.js";

const FRESH_MS = 60_000;
let cache = null; // { base, at, promise }
let known = new Map(); // lower-case address -> entry, from the last answer
// The community's bodies by contract (the manifest's names) and the key of their public name.
const OFFICIAL = { CommitteeSafe: "names.committeeSafe", AssemblyTimelock: "names.assemblyTimelock" };
let official = new Map(); // lower-case address -> i18n key

/** The committee's Safe and the assembly's timelock of this community's configuration
 * (the manifest's contracts), named from now on wherever an address is shown. */
export function setOfficial(config) {
  official = new Map(Object.entries(OFFICIAL)
    .filter(([contract]) => config?.contracts?.[contract]?.address)
    .map(([contract, key]) => [config.contracts[contract].address.toLowerCase(), key]));
}

/** The public name of one of the community's bodies (translated), or null. */
export function officialName(address) {
  const key = address ? official.get(String(address).toLowerCase()) : undefined;
  return key ? t(key) : null;
}

/** The directory (one request per minute at most, whatever the pages ask); an empty one
 * when this server keeps no directory or does not answer: the pages then show addresses. */
export function loadNames(ctx) {
  const base = ctx.api.base;
  if (cache && cache.base === base && Date.now() - cache.at < FRESH_MS) return cache.promise;
  const promise = ctx.api.get("/directory")
    .then((answer) => {
      known = new Map(answer.items.map((entry) => [entry.organisation.toLowerCase(), entry]));
      return answer;
    })
    .catch(() => {
      if (cache?.promise === promise) cache = null; // try again on the next page
      return { items: [], categories: [], domain: null, types: null };
    });
  cache = { base, at: Date.now(), promise };
  return promise;
}

/** Forget the cached directory (after an entry was published from this page). */
export function forgetNames() {
  cache = null;
}

/** The entry of an address already loaded, or null. */
export function entryOf(address) {
  return address ? known.get(String(address).toLowerCase()) ?? null : null;
}

/** Plain text for sentences: the organisation's name, else the short address. */
export function nameOf(address) {
  return officialName(address) ?? entryOf(address)?.name ?? shortAddress(address);
}

/** Markup for an address: the committee's Safe or the assembly's timelock by its public
 * name, a named organisation as a link to its entry, each with the full address on hover; an unnamed address as before (short, full on hover). */
export function party(address, attrs = "") {
  if (!address) return "—";
  const body = officialName(address);
  if (body) return `<span class="party" title="${esc(address)}" data-official="${esc(String(address).toLowerCase())}"${attrs}>${esc(body)}</span>`;
  const entry = entryOf(address);
  if (!entry) return `<code title="${esc(address)}"${attrs}>${esc(shortAddress(address))}</code>`;
  return `<a class="party" href="#/directory/${esc(entry.organisation)}" title="${esc(entry.organisation)}" data-named="${esc(entry.organisation)}"${attrs}>${esc(entry.name)}</a>`;
}

/** A translated sentence, escaped, whose placeholders in `parties` are addresses drawn
 * by `party` (a name with its link, or the short address). */
export function sentence(key, vars, parties) {
  const marks = Object.fromEntries(Object.keys(parties).map((name) => [name, `\u0001${name}\u0001`]));
  let text = esc(t(key, { ...vars, ...marks }));
  for (const [name, address] of Object.entries(parties)) text = text.replace(`\u0001${name}\u0001`, party(address));
  return text;
}
