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
  const response = await fetch(path, { cache: "no-cache" });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

export async function loadI18n() {
  const [zh, en, table] = await Promise.all([
    loadJson("/static/i18n/zh.json"), loadJson("/static/i18n/en.json"), loadJson("/static/i18n/reverts.json"),
  ]);
  dictionaries.zh = zh;
  dictionaries.en = en;
  reverts = table;
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

export function currentLang() {
  return lang;
}

export function setLang(next) {
  lang = LANGUAGES.includes(next) ? next : "zh";
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

/** The text of `key` in the current language, with {name} placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = dictionaries[lang]?.[key] ?? dictionaries.zh?.[key] ?? key;
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
