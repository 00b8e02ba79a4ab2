// The saga console. Plain ES module: no build step, no CDN, nothing inline (the page runs
// under a strict Content-Security-Policy). Everything it shows comes from the public API.

const API = "/api/v1";
const POLL_MS = 1000;
const MAX_POLL_MS = 10000;
// sessionStorage keeps the tokens for this tab only and drops them when the tab closes; the
// strict CSP is what keeps scripts that could read them out of the page.
const ACCESS_KEY = "saga-console-token";
const REFRESH_KEY = "saga-console-refresh";
// With TENANCY_SOURCE=header the page's address names the tenant (/console?tenant=acme) and
// every call says it; with a subdomain the host already does.
const TENANT = new URLSearchParams(location.search).get("tenant");
const TENANT_HEADER = TENANT ? { "X-Tenant-ID": TENANT } : {};

const $ = (id) => document.getElementById(id);
let me = null;
let nextCursor = null;
let pollTimer = null;
let refreshing = null;
// One key per intended checkout: a retry after a lost answer must not place a second order.
let checkoutKey = null;

class Unauthorized extends Error {}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Worth asking again: the network or the server hiccupped, or we were asked to slow down.
const transient = (error) =>
  error instanceof TypeError || (error instanceof ApiError && (error.status >= 500 || error.status === 429));

function saveTokens(pair) {
  sessionStorage.setItem(ACCESS_KEY, pair.access_token);
  sessionStorage.setItem(REFRESH_KEY, pair.refresh_token);
}

function forgetTokens() {
  sessionStorage.removeItem(ACCESS_KEY);
  sessionStorage.removeItem(REFRESH_KEY);
  me = null;
}

async function api(path, options = {}, retried = false) {
  const headers = { Accept: "application/json", ...TENANT_HEADER, ...(options.headers || {}) };
  const token = sessionStorage.getItem(ACCESS_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(API + path, { ...options, headers });
  if (response.status === 401 && !retried) {
    // Another call may have renewed the pair meanwhile; otherwise renew it once for everyone.
    const renewed = sessionStorage.getItem(ACCESS_KEY) !== token || (await renewTokens());
    if (renewed) return api(path, options, true);
  }
  if (response.status === 401) throw new Unauthorized("Please sign in again.");
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, body?.detail || body?.title || `HTTP ${response.status}`);
  }
  return body;
}

// Access tokens are short-lived; a saga can be watched for longer. Refresh tokens are spent
// on use, so concurrent calls share one renewal.
function renewTokens() {
  refreshing ??= renew().finally(() => (refreshing = null));
  return refreshing;
}

async function renew() {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  if (!refreshToken) return false;
  const response = await fetch(`${API}/auth/refresh`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...TENANT_HEADER },
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
  if (!response.ok) return false;
  saveTokens(await response.json());
  return true;
}

function randomKey() {
  // Not crypto.randomUUID: it exists only in secure contexts, and plain HTTP behind a
  // cluster's ingress is not one.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function show(view) {
  for (const id of ["sign-in-view", "orders-view", "saga-view"]) $(id).hidden = id !== view;
  $("main").focus();
}

function announce(text) {
  $("announcer").textContent = text;
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text ?? "—";
  if (className) td.className = className;
  return td;
}

const money = (cents) => (cents / 100).toFixed(2);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");
const label = (name) => name.replaceAll("_", " ");

// ---- signing in and out -------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  $("sign-in-error").textContent = "";
  const form = new URLSearchParams(new FormData($("sign-in-form")));
  const response = await fetch(`${API}/auth/token`, {
    method: "POST",
    headers: TENANT_HEADER,
    body: form,
  });
  const body = await response.json();
  if (!response.ok) {
    $("sign-in-error").textContent = body.detail || "Signing in failed.";
    return;
  }
  saveTokens(body);
  me = null;
  $("password").value = "";
  await route();
}

async function signOut() {
  try {
    await api("/auth/logout", { method: "POST" });
  } catch (error) {
    // Signed out locally whatever the server says.
  }
  forgetTokens();
  location.hash = "";
  await route();
}

async function whoAmI() {
  if (!me) me = await api("/users/me");
  $("who").textContent = `${me.name} (${me.email}) · ${me.roles.join(", ")}`;
  $("who").hidden = $("sign-out").hidden = false;
  return me;
}

// ---- orders -------------------------------------------------------------------------

async function showOrders() {
  const user = await whoAmI();
  show("orders-view");
  $("orders-caption").textContent = user.roles.includes("admin")
    ? "Every customer's orders, newest first"
    : "Your orders, newest first";
  $("test-checkout").hidden = !user.roles.includes("admin");
  await loadOrders(true);
  if (user.roles.includes("admin")) await loadItems();
}

async function loadOrders(fromStart) {
  const body = $("orders-table").tBodies[0];
  if (fromStart) {
    body.replaceChildren();
    nextCursor = null;
  }
  const query = new URLSearchParams({ limit: "20" });
  if ($("status-filter").value) query.set("status", $("status-filter").value);
  if (nextCursor) query.set("cursor", nextCursor);
  const page = await api(`/orders?${query}`);
  for (const order of page.items) {
    const row = body.insertRow();
    const link = document.createElement("a");
    link.href = `#/orders/${encodeURIComponent(order.id)}`;
    link.textContent = order.id;
    row.insertCell().append(link);
    cell(row, order.status, `status status-${order.status}`);
    cell(row, order.status_reason ? label(order.status_reason) : null);
    cell(row, money(order.total_cents), "number");
    cell(row, when(order.created_at));
  }
  $("page-error").textContent = "";
  nextCursor = page.next_cursor;
  $("more-orders").hidden = !nextCursor;
  announce(`${body.rows.length} orders listed.`);
}

const itemOption = (item) =>
  new Option(`${item.name} (${item.sku}) · ${item.available} available`, item.sku);

async function loadItems() {
  const page = await api("/items?limit=100");
  $("test-sku").replaceChildren(...page.items.map(itemOption));
}

async function addDemoItem() {
  const item = await api("/items", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      sku: `demo-${Date.now().toString(36)}`,
      name: "Demo tea",
      price_cents: 450,
      stock: 25,
    }),
  });
  // The list is a read model that catches up a moment later: add the answer itself.
  const option = itemOption(item);
  checkoutKey = null;
  $("test-sku").prepend(option);
  option.selected = true;
  announce(`Demo item ${item.sku} added.`);
}

async function startTestCheckout(event) {
  event.preventDefault();
  $("test-checkout-error").textContent = "";
  const button = $("start-checkout");
  button.disabled = true;
  checkoutKey ??= randomKey();
  try {
    const order = await api("/orders", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": checkoutKey },
      body: JSON.stringify({
        lines: [{ sku: $("test-sku").value, quantity: Number($("test-quantity").value) }],
        payment_token: $("test-token").value,
      }),
    });
    checkoutKey = null;
    location.hash = `#/orders/${encodeURIComponent(order.id)}`;
  } catch (error) {
    if (error instanceof Unauthorized) throw error;
    $("test-checkout-error").textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

// ---- one saga -----------------------------------------------------------------------

const SYMBOL = { done: "✓", running: "…", waiting: "‖", failed: "✗", interrupted: "■" };

async function showSaga(orderId) {
  show("saga-view");
  await whoAmI();
  $("saga-title").textContent = `Order ${orderId}`;
  // Nothing of the saga shown before may linger while this one loads.
  $("timeline").replaceChildren();
  $("saga-state").textContent = "";
  delete $("saga-state").dataset.status;
  await refreshSaga(orderId);
}

async function refreshSaga(orderId, failures = 0) {
  clearTimeout(pollTimer);
  let order, saga;
  try {
    [order, saga] = await Promise.all([
      api(`/orders/${encodeURIComponent(orderId)}`),
      api(`/orders/${encodeURIComponent(orderId)}/saga`),
    ]);
  } catch (error) {
    if (error instanceof Unauthorized) throw error;
    const again = transient(error);
    const reason = error instanceof TypeError ? "The server cannot be reached." : error.message;
    $("saga-error").textContent = again ? `${reason} Trying again…` : reason;
    if (again) keepPolling(orderId, failures + 1);
    return;
  }
  $("saga-error").textContent = "";
  renderFacts(order);
  renderTimeline(saga);
  const state = $("saga-state");
  const before = state.dataset.status;
  state.dataset.status = saga.finished ? order.status : "running";
  state.textContent = saga.finished
    ? `Saga finished: order ${order.status}${order.status_reason ? ` (${label(order.status_reason)})` : ""}.`
    : `Saga running${saga.current_step ? `: ${label(saga.current_step)}` : ""}. Refreshing every second.`;
  if (before !== state.dataset.status) announce(state.textContent);
  if (!saga.finished) keepPolling(orderId, 0);
}

// Until the saga ends, and through outages: slower after each failure in a row.
function keepPolling(orderId, failures) {
  if (location.hash !== `#/orders/${encodeURIComponent(orderId)}`) return;
  const delay = Math.min(POLL_MS * 2 ** failures, MAX_POLL_MS);
  pollTimer = setTimeout(() => refreshSaga(orderId, failures).catch(failed), delay);
}

function renderFacts(order) {
  const facts = {
    Status: order.status,
    Reason: order.status_reason ? label(order.status_reason) : "—",
    Total: money(order.total_cents),
    Placed: when(order.created_at),
    Lines: order.lines.map((line) => `${line.quantity} × ${line.sku}`).join(", "),
  };
  const list = $("order-facts");
  list.replaceChildren();
  for (const [name, value] of Object.entries(facts)) {
    const term = document.createElement("dt");
    term.textContent = name;
    const detail = document.createElement("dd");
    detail.textContent = value;
    list.append(term, detail);
  }
}

function renderTimeline(saga) {
  const steps = saga.timeline;
  const start = Date.parse(saga.created_at);
  const ends = steps.map((s) => Date.parse(s.ended_at || saga.last_updated_at));
  const now = saga.finished ? Math.max(start, ...ends) : Date.now();
  const span = Math.max(now - start, 1);
  $("axis-start").textContent = "0 s";
  $("axis-end").textContent = `${((now - start) / 1000).toFixed(1)} s`;

  const list = $("timeline");
  while (list.children.length > steps.length) list.lastElementChild.remove();
  steps.forEach((step, index) => {
    const begun = Date.parse(step.started_at);
    const ended = step.ended_at ? Date.parse(step.ended_at) : now;
    const item = stepItem(list, index);
    const [title, track, facts, detail] = item.children;
    const current = step.step === saga.current_step && step.status === "running";
    item.className = `step kind-${step.kind} status-${step.status}${current ? " current" : ""}`;
    if (current) item.setAttribute("aria-current", "step");
    else item.removeAttribute("aria-current");

    const compensation = step.kind === "compensation" ? "compensation: " : "";
    title.textContent = `${SYMBOL[step.status] || "•"} ${compensation}${label(step.step)}`;
    // CSSOM, not a style attribute, so the strict CSP allows it.
    track.firstElementChild.style.left = `${(100 * (begun - start)) / span}%`;
    track.firstElementChild.style.width = `${Math.max((100 * (ended - begun)) / span, 0.8)}%`;
    const seconds = ((ended - begun) / 1000).toFixed(2);
    // The runtime retries an activity without telling the workflow: the policy's bound is
    // what is known.
    const attempts =
      step.attempt > 1
        ? ` · attempt ${step.attempt} of ${step.max_attempts}`
        : step.max_attempts
          ? ` · retried up to ${step.max_attempts} attempts`
          : "";
    facts.textContent = `${step.status} · ${seconds} s${attempts}`;
    detail.textContent = step.detail ?? "";
    detail.hidden = !step.detail;
  });
}

// Steps are updated in place, not redrawn: a screen reader or a selection keeps its place
// while the page refreshes every second.
function stepItem(list, index) {
  if (list.children[index]) return list.children[index];
  const item = document.createElement("li");
  const part = (className) => Object.assign(document.createElement("span"), { className });
  const track = part("track");
  track.append(part("bar"));
  item.append(part("step-name"), track, part("step-facts"), part("step-detail"));
  list.append(item);
  return item;
}

// ---- routing ------------------------------------------------------------------------

async function route() {
  clearTimeout(pollTimer);
  $("page-error").textContent = "";
  if (!sessionStorage.getItem(ACCESS_KEY)) {
    $("who").hidden = $("sign-out").hidden = true;
    show("sign-in-view");
    $("email").focus();
    return;
  }
  const match = location.hash.match(/^#\/orders\/(.+)$/);
  if (match) await showSaga(decodeURIComponent(match[1]));
  else await showOrders();
}

function failed(error) {
  if (error instanceof Unauthorized) {
    forgetTokens();
    route().then(() => ($("sign-in-error").textContent = error.message));
    return;
  }
  $("page-error").textContent =
    error instanceof TypeError ? "The server cannot be reached." : error.message;
  console.error(error);
}

$("sign-in-form").addEventListener("submit", (e) => signIn(e).catch(failed));
$("sign-out").addEventListener("click", () => signOut().catch(failed));
$("status-filter").addEventListener("change", () => loadOrders(true).catch(failed));
$("refresh-orders").addEventListener("click", () => loadOrders(true).catch(failed));
$("more-orders").addEventListener("click", () => loadOrders(false).catch(failed));
$("test-checkout-form").addEventListener("submit", (e) => startTestCheckout(e).catch(failed));
$("test-checkout-form").addEventListener("change", () => (checkoutKey = null));
$("demo-item").addEventListener("click", () => addDemoItem().catch(failed));
window.addEventListener("hashchange", () => route().catch(failed));
route().catch(failed);
