// SPDX-License-Identifier: AGPL-3.0-only
// Every string the pages show lives in i18n/zh.json and i18n/en.json (one dictionary per
// language); contract revert reasons live in i18n/reverts.json (one table, both languages).
// Chinese is the default; the choice is remembered in localStorage.

const STORAGE_KEY = "linli.lang";
export const LANGUAGES = ["zh", "en"];

let lang = LANGUAGES.includes(localStorage.getItem(STORAGE_KEY)) ? localStorage.getItem(STORAGE_KEY) : "zh";
const dictionaries = {};
let reverts = {};

async function loadJson(path) {
  // The server answers Cache-Control: no-cache with an ETag: a 304 when the file is unchanged.
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

async function loadDictionary(which) {
  dictionaries[which] ??= await loadJson(`/static/i18n/${which}.json`);
}

/** The dictionary of the language in use (the other one is loaded when switched to). The
 * contracts' reasons follow without holding up the first page: only a refusal needs them. */
export async function loadI18n() {
  loadJson("/static/i18n/reverts.json").then((table) => (reverts = table)).catch(() => null);
  await loadDictionary(lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

export function currentLang() {
  return lang;
}

export async function setLang(next) {
  const chosen = LANGUAGES.includes(next) ? next : "zh";
  await loadDictionary(chosen);
  lang = chosen;
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

/** The text of `key` in the current language, with {name} placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = dictionaries[lang]?.[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** Has the dictionary a text for `key` (e.g. a role or matter name that may be unknown)? */
export function has(key) {
  return key in (dictionaries[lang] ?? {});
}

/** The resident's words for a contract's namespaced revert reason, or null if unknown. */
export function revertText(reason) {
  const entry = reverts[reason];
  return entry ? entry[lang] ?? entry.zh : null;
}

/** Every known revert reason (the longest first, so "x: a b" wins over "x: a"). */
export function knownReverts() {
  return Object.keys(reverts).sort((a, b) => b.length - a.length);
}
