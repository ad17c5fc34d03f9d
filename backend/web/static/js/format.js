// SPDX-License-Identifier: AGPL-3.0-only
// How amounts, areas, months and times read on the pages. Money is in fen (the settlement
// token has 2 decimals), areas in 0.01 m², times in Beijing time like the contracts' months.

import { currentLang, t } from "./i18n.js";

const TIME_ZONE = "Asia/Shanghai";

function locale() {
  return currentLang() === "zh" ? "zh-CN" : "en-GB";
}

export function yuan(fen) {
  const value = Number(fen) / 100;
  return "¥" + value.toLocaleString(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export function area(hundredths) {
  return (Number(hundredths) / 100).toLocaleString(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " m²";
}

export function number(value) {
  return Number(value).toLocaleString(locale());
}

export function percent(part, whole) {
  if (!Number(whole)) return "0%";
  return (100 * Number(part) / Number(whole)).toFixed(1) + "%";
}

export function monthLabel(month) {
  const m = Number(month);
  return `${Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, "0")}`;
}

export function dateTime(unixSeconds) {
  if (!unixSeconds) return "—";
  return new Date(Number(unixSeconds) * 1000).toLocaleString(locale(), {
    timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
}

export function date(unixSeconds) {
  if (!unixSeconds) return "—";
  return new Date(Number(unixSeconds) * 1000).toLocaleDateString(locale(), {
    timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit",
  });
}

export function days(seconds) {
  return Math.round(Number(seconds) / 86400 * 10) / 10;
}

export function shortAddress(address) {
  if (!address) return "—";
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

export function shortHash(hash) {
  if (!hash) return "—";
  return `${hash.slice(0, 10)}…${hash.slice(-6)}`;
}

/** Escape text for innerHTML templates (titles and labels come from the chain). */
export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** Fen (BigInt) from a yuan amount typed by a resident ("12", "12.5", "12.50"); null if malformed. */
export function fenFromYuan(text) {
  const match = /^\s*(\d{1,12})(?:[.,](\d{1,2}))?\s*$/.exec(String(text ?? ""));
  if (!match) return null;
  return BigInt(match[1]) * 100n + BigInt((match[2] ?? "").padEnd(2, "0") || "0");
}

export function stars(score) {
  const n = Math.max(0, Math.min(5, Math.round(Number(score))));
  return "★".repeat(n) + "☆".repeat(5 - n);
}

export function duration(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s)) return "—";
  if (s < 3600) return t("time.minutes", { n: Math.max(1, Math.round(s / 60)) });
  if (s < 86400 * 2) return t("time.hours", { n: (s / 3600).toFixed(1) });
  return t("time.days", { n: (s / 86400).toFixed(1) });
}
