/**
 * The signed-out screen's form: one form for creating an account and logging in, switched by a
 * two-button toggle. Errors are the API's own sentences, shown above the submit button.
 */
import { api, ApiError } from "./api.js";

/** @typedef {"signup" | "login"} Mode */

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * Wires the form. `onSignedIn` runs once the session cookie is set.
 * @param {{ onSignedIn: () => Promise<void> }} options
 */
export function setupAccountForm(options) {
  const form = /** @type {HTMLFormElement} */ ($("auth-form"));
  const emailInput = /** @type {HTMLInputElement} */ ($("email"));
  const passwordInput = /** @type {HTMLInputElement} */ ($("password"));
  const submit = /** @type {HTMLButtonElement} */ ($("auth-submit"));
  /** @type {Mode} */
  let mode = "signup";

  /** @param {string | null} message */
  function showError(message) {
    const error = $("auth-error");
    error.hidden = message === null;
    error.textContent = message ?? "";
    emailInput.removeAttribute("aria-invalid");
    passwordInput.removeAttribute("aria-invalid");
  }

  /** @param {Mode} next */
  function setMode(next) {
    mode = next;
    for (const button of document.querySelectorAll("[data-mode]")) button.setAttribute("aria-pressed", String(button.getAttribute("data-mode") === mode));
    $("auth-title").textContent = mode === "signup" ? "Create your vault" : "Welcome back";
    submit.textContent = mode === "signup" ? "Create account" : "Log in";
    passwordInput.autocomplete = mode === "signup" ? "new-password" : "current-password";
    $("password-hint").hidden = mode !== "signup";
    showError(null);
  }

  /** @param {HTMLInputElement} field @param {string} message */
  function rejectField(field, message) {
    showError(message);
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }

  async function send() {
    const email = emailInput.value.trim();
    const password = passwordInput.value;
    if (!email) return rejectField(emailInput, "Enter your e-mail address.");
    if (!password) return rejectField(passwordInput, "Enter your password.");
    const label = submit.textContent;
    submit.disabled = true;
    submit.textContent = mode === "signup" ? "Creating your vault…" : "Logging in…";
    showError(null);
    try {
      await (mode === "signup" ? api.signUp(email, password) : api.logIn(email, password));
      passwordInput.value = "";
      await options.onSignedIn();
    } catch (error) {
      showError(error instanceof ApiError ? error.message : "Something went wrong on this page. Reload it and try again.");
      // Point at the field the server found fault with; a failed log-in deliberately does not say which.
      if (error instanceof ApiError && (error.status === 400 || error.status === 409)) {
        (error.status === 400 && /password/i.test(error.message) ? passwordInput : emailInput).setAttribute("aria-invalid", "true");
      }
    } finally {
      submit.disabled = false;
      submit.textContent = label;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void send();
  });
  for (const button of document.querySelectorAll("[data-mode]")) {
    button.addEventListener("click", () => setMode(/** @type {Mode} */ (button.getAttribute("data-mode"))));
  }

  return {
    setMode,
    showError,
    focus: () => emailInput.focus(),
  };
}
