/* The message editor (admin/message_editor.py): insert a merge tag at the cursor, count an SMS's
   characters and parts as typed, show a WhatsApp version's approved template, and keep the preview for a real customer up to date — the text
   is posted (with the CSRF token) to the live preview, whose answer the server has escaped. */
(function () {
  "use strict";

  function debounce(run, wait) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(run, wait);
    };
  }

  function smsParts(text, basic, extension) {
    const chars = Array.from(text);
    const gsm = chars.every((c) => basic.has(c) || extension.has(c));
    const length = gsm ? chars.reduce((n, c) => n + (extension.has(c) ? 2 : 1), 0)
      : chars.reduce((n, c) => n + (c.codePointAt(0) > 0xffff ? 2 : 1), 0);
    const single = gsm ? 160 : 70;
    const part = gsm ? 153 : 67;
    const parts = !length ? 0 : length <= single ? 1 : Math.ceil(length / part);
    return { gsm, length, parts };
  }

  function start(editor) {
    const form = editor.closest("form");
    const field = (name) => form.querySelector(`[data-masa-text="${name}"]`);
    const texts = ["subject", "body", "html_body"].map(field).filter(Boolean);
    const locale = form.querySelector("[data-masa-locale]");
    const kind = form.querySelector("[data-masa-channel-kind]");
    const counter = editor.querySelector("[data-masa-sms-count]");
    const approved = editor.querySelector("[data-masa-approved]");
    const approvedFields = ["template_name", "template_language"].map((name) => form.querySelector(`[name$="${name}"]`))
      .filter(Boolean);
    const variables = Array.from(editor.querySelectorAll("[data-masa-variable]"));
    const preview = editor.querySelector("[data-masa-preview]");
    const customer = editor.querySelector("[data-masa-customer]");
    const search = editor.querySelector("[data-masa-customer-search]");
    const test = editor.querySelector("[data-masa-test]");
    const basic = new Set(Array.from(editor.dataset.gsmBasic + "\n\r"));
    const extension = new Set(Array.from(editor.dataset.gsmExtension));
    let target = field("body");
    let asked = 0;

    texts.forEach((text) => text.addEventListener("focus", () => { target = text; }));

    editor.querySelector("[data-masa-insert]").addEventListener("click", () => {
      const tag = editor.querySelector("#masa-merge-tag").value;
      if (!target || !tag) return;
      const from = target.selectionStart ?? target.value.length;
      const to = target.selectionEnd ?? from;
      target.setRangeText(tag, from, to, "end");
      target.focus();
      target.dispatchEvent(new Event("input", { bubbles: true }));
      target.dispatchEvent(new Event("change", { bubbles: true }));
    });

    function count() {
      const isSms = kind && kind.value === "sms";
      counter.hidden = !isSms;
      if (!isSms) return;
      const parts = smsParts(field("body").value, basic, extension);
      counter.textContent = (parts.gsm ? editor.dataset.wordsGsm : editor.dataset.wordsUcs)
        .replace("{length}", parts.length.toLocaleString(document.documentElement.lang || undefined))
        .replace("{parts}", parts.parts.toLocaleString(document.documentElement.lang || undefined));
    }

    function direction() {
      const rtl = (locale.dataset.rtl || "").split(" ").includes(locale.value);
      texts.forEach((text) => { text.dir = rtl ? "rtl" : "auto"; });
    }

    const refresh = debounce(() => {
      if (!customer) return;
      const data = new FormData();
      data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      texts.forEach((text) => data.append(text.dataset.masaText, text.value));
      data.append("locale", locale ? locale.value : "");
      data.append("channel_kind", kind ? kind.value : "");
      approvedFields.forEach((input) => data.append(input.name.replace(/^.*-/, ""), input.value));
      variables.forEach((select) => data.append("template_variables", select.value));
      data.append("customer", customer.value);
      const ask = ++asked;
      preview.setAttribute("aria-busy", "true");
      fetch(editor.dataset.previewUrl, { method: "POST", body: data, credentials: "same-origin" })
        .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
        .then((html) => { if (ask === asked) preview.innerHTML = html; })
        .catch(() => {})
        .finally(() => { if (ask === asked) preview.removeAttribute("aria-busy"); });
    }, 350);

    const find = debounce(() => {
      const url = `${editor.dataset.customersUrl}?q=${encodeURIComponent(search.value.trim())}`;
      fetch(url, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
        .then((options) => {
          customer.innerHTML = options;
          chosen();
        })
        .catch(() => {});
    }, 300);

    function chosen() {
      if (test && customer.value) {
        const url = new URL(test.href, window.location.href);
        url.searchParams.set("customer", customer.value);
        test.href = url.toString();
      }
      refresh();
    }

    texts.forEach((text) => text.addEventListener("input", () => { count(); refresh(); }));
    function whatsapp() {
      const phone = kind && ["sms", "whatsapp"].includes(kind.value);
      if (approved) approved.hidden = !(kind && kind.value === "whatsapp");
      editor.querySelectorAll("[data-masa-email-only]").forEach((part) => {
        part.hidden = phone && !part.querySelector("textarea, input").value;
      });
    }
    [...approvedFields, ...variables].forEach((input) => input.addEventListener("change", refresh));
    if (approvedFields[0]) approvedFields[0].addEventListener("input", refresh);
    if (kind) kind.addEventListener("change", () => { count(); whatsapp(); refresh(); });
    if (locale) locale.addEventListener("change", direction);
    if (customer) customer.addEventListener("change", chosen);
    if (search) {
      search.addEventListener("input", find);
      search.addEventListener("keydown", (event) => {
        if (event.key === "Enter") { event.preventDefault(); find(); }
      });
    }
    count();
  }

  function ready() {
    document.querySelectorAll("[data-masa-editor]").forEach(start);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
}());
