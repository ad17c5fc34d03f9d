// SPDX-License-Identifier: AGPL-3.0-only
// Connect: the wallet (EIP-1193), the community's chain, and who this account is here.

import { t } from "../i18n.js";
import { area, esc, number } from "../format.js";
import { explain, runStep } from "../tx.js";
import { html, roleName } from "../ui.js";
import { addPhone, checkNewPhone, createPasskey, pendingPhone, phoneCode, startNewPhone, supported } from "../passkey.js";

/** First choice: a passkey on this phone (no wallet, no seed phrase); the relayer pays. */
function passkeyCard(ctx, view) {
  const { config } = ctx;
  if (!config.passkeys) return;
  const key = ctx.passkey;
  const card = html(view, `<section class="card" data-testid="passkey-card"><h2>${esc(t("passkey.title"))}</h2>
      <p>${esc(t(key ? "passkey.ready" : "passkey.intro"))}</p>
      ${key ? `<dl class="facts"><dt>${esc(t("passkey.account"))}</dt><dd><code data-testid="passkey-account">${esc(key.account)}</code></dd></dl>`
    : supported() ? `<div class="actions"><button type="button" class="primary" data-testid="passkey-create">${esc(t("passkey.create"))}</button></div>`
      : `<p class="muted" data-testid="passkey-unsupported">${esc(t("passkey.unsupported"))}</p>`}
      <p class="error-text" hidden></p></section>`);
  const button = card.querySelector("[data-testid=passkey-create]");
  const problem = card.querySelector(".error-text");
  button?.addEventListener("click", async () => {
    button.disabled = true;
    problem.hidden = true;
    try {
      await runStep(t("passkey.creating"), async (progress) => {
        const { answer } = await createPasskey(ctx);
        if (answer.block_number !== null) {
          progress(t("tx.indexing"));
          await ctx.api.waitIndexed(answer.block_number);
        }
      }, t("passkey.created"));
      ctx.rerender();
    } catch (error) {
      problem.textContent = explain(error);
      problem.hidden = false;
      button.disabled = false;
    }
  });
  if (key) addPhoneCard(ctx, view);
  else if (supported() && !ctx.wallet?.ready) newPhoneCard(ctx, view);
}

/** A button's work with its failure said under the form, in the resident's words. */
function guarded(card, button, work) {
  const problem = card.querySelector(".error-text");
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    button.disabled = true;
    problem.hidden = true;
    try {
      await work();
    } catch (error) {
      problem.textContent = explain(error);
      problem.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
}

/** On a phone the account has: add a new phone by the code it shows. */
function addPhoneCard(ctx, view) {
  const card = html(view, `<section class="card" data-testid="add-phone-card"><h2>${esc(t("passkey.addPhoneTitle"))}</h2>
      <p>${esc(t("passkey.addPhoneNote"))}</p>
      <form class="inline"><label>${esc(t("passkey.codeLabel"))}
        <input name="code" autocomplete="off" spellcheck="false" data-testid="new-phone-code-input"></label>
        <button type="submit" class="primary" data-testid="add-phone">${esc(t("passkey.addPhone"))}</button></form>
      <p class="error-text" hidden></p></section>`);
  const form = card.querySelector("form");
  guarded(card, form.querySelector("button"), async () => {
    await addPhone(ctx, form.code.value);
    form.code.value = "";
  });
}

/** On a new phone: a passkey for an account an earlier phone holds, added by that phone. */
function newPhoneCard(ctx, view) {
  const pending = pendingPhone(ctx.config);
  const card = html(view, `<section class="card" data-testid="new-phone-card"><h2>${esc(t("passkey.newPhoneTitle"))}</h2>
      ${pending ? `<p>${esc(t("passkey.newPhoneCode"))}</p><p><code data-testid="new-phone-code">${esc(phoneCode(pending))}</code></p>
        <p class="muted small" data-testid="new-phone-waiting" hidden>${esc(t("passkey.newPhoneWaiting"))}</p>
        <div class="actions"><button type="button" class="primary" data-testid="new-phone-check">${esc(t("passkey.newPhoneCheck"))}</button></div>`
    : `<p>${esc(t("passkey.newPhoneNote"))}</p>
        <form class="inline"><label>${esc(t("passkey.newPhoneAccount"))}
          <input name="account" autocomplete="off" spellcheck="false" pattern="0x[0-9a-fA-F]{40}" required data-testid="new-phone-account"></label>
          <button type="submit" data-testid="new-phone-start">${esc(t("passkey.newPhoneStart"))}</button></form>`}
      <p class="error-text" hidden></p></section>`);
  if (pending) {
    const check = card.querySelector("[data-testid=new-phone-check]");
    guarded(card, check, async () => {
      if (await checkNewPhone(ctx)) ctx.rerender();
      else card.querySelector("[data-testid=new-phone-waiting]").hidden = false;
    });
    return;
  }
  const form = card.querySelector("form");
  guarded(card, form.querySelector("button"), async () => {
    if (!form.reportValidity()) return;
    await startNewPhone(ctx, form.account.value.trim());
    ctx.rerender();
  });
}

export async function render(ctx, view) {
  const { wallet, config } = ctx;
  html(view, `<h1>${esc(t("connect.title"))}</h1>`);
  passkeyCard(ctx, view);
  if (ctx.passkey) return renderMe(ctx, view, ctx.passkey.account);
  if (!wallet.available) {
    html(view, `<section class="card notice" data-testid="no-wallet"><h2>${esc(t("connect.noWalletTitle"))}</h2>
      <p>${esc(t("connect.noWallet"))}</p></section>`);
    return;
  }
  const card = html(view, `<section class="card" data-testid="connect-card">
      <p>${esc(t("connect.intro", { name: config.name }))}</p>
      <dl class="facts">
        <dt>${esc(t("connect.chain"))}</dt><dd>${esc(config.chain.chainName)} (${config.chain_id})</dd>
        <dt>${esc(t("connect.account"))}</dt><dd data-testid="account">${esc(wallet.account ?? t("connect.none"))}</dd>
      </dl>
      <div class="actions"></div><p class="error-text" hidden></p></section>`);
  const actions = card.querySelector(".actions");
  const problem = card.querySelector(".error-text");
  const button = (label, work) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "primary";
    b.textContent = label;
    b.addEventListener("click", async () => {
      problem.hidden = true;
      try {
        await work();
      } catch (error) {
        problem.textContent = explain(error);
        problem.hidden = false;
      }
    });
    actions.append(b);
    return b;
  };
  if (!wallet.account) {
    button(t("connect.button"), () => wallet.connect()).dataset.testid = "connect";
    return;
  }
  if (!wallet.onCommunityChain) {
    html(card, `<p class="warning">${esc(t("connect.wrongChain", { chain: config.chain.chainName }))}</p>`);
    button(t("connect.switchChain"), () => wallet.ensureChain()).dataset.testid = "switch-chain";
    return;
  }

  return renderMe(ctx, view, wallet.account);
}

/** Who `account` is here: units, roles, points. */
async function renderMe(ctx, view, account) {
  const me = await ctx.api.get(`/accounts/${account}`);
  const units = me.units.length
    ? `<ul class="unit-list" data-testid="my-units">${me.units.map((u) => `<li><strong>${esc(u.label)}</strong>
        <span>${area(u.area)}</span><span class="tag">${esc(t(`unit.${u.relation}`))}</span></li>`).join("")}</ul>`
    : `<p class="muted">${esc(t("connect.noUnits"))}</p>`;
  const roles = [...me.roles.filter((r) => r !== "default_admin"), ...(me.identity !== null ? ["owner"] : []),
    ...(me.units.some((u) => u.relation === "resident") ? ["resident"] : [])];
  html(view, `<section class="grid two">
      <div class="card"><h2>${esc(t("connect.myUnits"))}</h2>${units}
        ${me.identity !== null ? `<p class="muted">${esc(t("connect.voteWeight", { area: area(me.owner_area) }))}</p>` : ""}</div>
      <div class="card"><h2>${esc(t("connect.myRoles"))}</h2>
        <p data-testid="my-roles">${roles.length ? roles.map((r) => `<span class="tag">${esc(roleName(r))}</span>`).join(" ") : esc(t("connect.noRoles"))}</p>
        <h2>${esc(t("connect.myPoints"))}</h2><p class="big" data-testid="my-points">${number(me.points)}</p>
        <p><a href="#/home">${esc(t("connect.goHome"))}</a> · <a href="#/points">${esc(t("nav.points"))}</a></p></div>
    </section>`);
}
