/**
 * The participant's data fields (join form and grant form): inputs and a first check.
 *
 * The limits repeat widget_server/domain/fields.py (MAX_DISPLAY_NAME, MAX_EMAIL, MAX_PHONE and
 * the international phone form); the server decides, and its refusal is shown on the field.
 */

import { t } from "../i18n.js";
import { h, icon } from "./dom.js";

export const LIMITS = { display_name: 100, email: 254, phone: 32 };
const TYPES = { display_name: "text", email: "email", phone: "tel" };
const AUTOCOMPLETE = { display_name: "name", email: "email", phone: "tel" };
const EMAIL = /^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$/;
// "+", a country code and the number; separators people write are allowed between digits.
const PHONE = /^\+[0-9 ()./-]+$/;

/** @param {string} field */
export function fieldLabel(field) {
  switch (field) {
    case "display_name": return t("field.display_name");
    case "email": return t("field.email");
    case "phone": return t("field.phone");
    default: return field;
  }
}

/** @param {string} field */
export function dataPhrase(field) {
  switch (field) {
    case "display_name": return t("data.display_name");
    case "email": return t("data.email");
    case "phone": return t("data.phone");
    default: return field;
  }
}

/**
 * One labelled input, its error (if any) described on it.
 * @param {string} scope "join" or "grant"
 * @param {string} field
 * @param {Record<string, string>} values edited in place as the participant types
 * @param {Record<string, string>} errors
 */
export function fieldInput(scope, field, values, errors) {
  const id = `${scope}-${field}`;
  const error = errors[field];
  const key = /** @type {keyof typeof LIMITS} */ (field);
  return h("div", { class: `field${error ? " field--invalid" : ""}` },
    h("label", { for: id, text: fieldLabel(field) }),
    h("input", {
      id,
      name: field,
      type: TYPES[key] || "text",
      autocomplete: AUTOCOMPLETE[key] || "off",
      required: true,
      maxlength: String(LIMITS[key] || 254),
      "aria-invalid": error ? "true" : null,
      "aria-describedby": error ? `${id}-error` : null,
      "data-key": id,
      value: values[field] || "",
      oninput: (/** @type {Event} */ event) => {
        values[field] = /** @type {HTMLInputElement} */ (event.target).value;
      },
    }),
    error ? h("p", { id: `${id}-error`, class: "field-error" }, icon("alert"), h("span", { text: error })) : null);
}

/**
 * A first check of each needed field (trimmed in place); the server checks again.
 * @param {string[]} needs
 * @param {Record<string, string>} values
 * @returns {Record<string, string>} field → message, empty when all look valid
 */
export function validate(needs, values) {
  /** @type {Record<string, string>} */
  const errors = {};
  for (const field of needs) {
    const value = (values[field] || "").trim();
    values[field] = value;
    const limit = LIMITS[/** @type {keyof typeof LIMITS} */ (field)] || 254;
    if (!value) errors[field] = t("field.required");
    else if (value.length > limit) errors[field] = t("field.too_long", { n: limit });
    else if (field === "email" && !EMAIL.test(value)) errors[field] = t("field.email.invalid");
    else if (field === "phone" && (!PHONE.test(value) || value.replace(/\D/g, "").length < 5)) {
      errors[field] = t("field.phone.invalid");
    }
  }
  return errors;
}

/**
 * The server's field errors (`{"fields.email": ["…"]}` or `{"email": [...]}`) by field name.
 * @param {Record<string, unknown> | undefined} fieldErrors
 * @returns {Record<string, string>}
 */
export function serverFieldErrors(fieldErrors) {
  /** @type {Record<string, string>} */
  const found = {};
  for (const [name, messages] of Object.entries(fieldErrors || {})) {
    const field = name.split(".").pop() || name;
    if (field in LIMITS) found[field] = Array.isArray(messages) ? messages.join(" ") : String(messages);
  }
  return found;
}
