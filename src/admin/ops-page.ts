// The ops page: one static HTML page, its stylesheet and a little plain JavaScript, served by
// the admin plugin. No build step, no CDN, nothing fetched from elsewhere. The script reads
// the JSON API beside it and writes every value with textContent, never as HTML.

export function opsPageHtml(base: string, readOnly: boolean): string {
  // `base` is the plugin's prefix, a route path the host chose: escaped all the same.
  const attr = base.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Alipay+ payments: operations</title>
<link rel="stylesheet" href="${attr}/ops.css">
</head>
<body data-base="${attr}" data-read-only="${readOnly}">
<header><h1>Alipay+ payments</h1><span id="mode"></span></header>
<nav id="views" aria-label="Views"></nav>
<main>
  <section id="list">
    <table id="orders"><thead><tr><th>Order</th><th>Status</th><th>Amount</th><th>Created</th><th>Final</th><th>Needs</th><th>Delivery</th></tr></thead><tbody></tbody></table>
    <p id="empty" hidden>No orders in this view.</p>
    <button id="more" hidden>Load more</button>
  </section>
  <section id="detail" hidden>
    <h2 id="detail-title"></h2>
    <dl id="fields"></dl>
    <div id="actions">
      <button data-action="retry-delivery">Retry delivery</button>
      <button data-action="redeliver">Deliver again</button>
      <button data-action="reinquire">Re-inquire now</button>
      <span class="resolve"><input id="note" placeholder="Why (kept in the audit)"><button data-action="resolve" data-status="SUCCESS">Resolve SUCCESS</button><button data-action="resolve" data-status="FAIL">Resolve FAIL</button></span>
    </div>
    <p id="message" role="status"></p>
    <h3>Audit trail</h3>
    <table id="events"><thead><tr><th>Received</th><th>Source</th><th>Result</th><th>Code</th><th>Decided</th><th>Why not</th><th>Times</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<script src="${attr}/ops.js"></script>
</body>
</html>
`
}

export const OPS_CSS = `[hidden]{display:none !important}
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{display:flex;align-items:baseline;gap:1em;padding:.8em 1.2em;background:#1d2330;color:#fff}
header h1{font-size:1.2em;margin:0}#mode{opacity:.8}
nav{display:flex;gap:.4em;padding:.8em 1.2em;flex-wrap:wrap}
nav button{border:1px solid #c9ced8;background:#fff;border-radius:4px;padding:.35em .8em;cursor:pointer}
nav button[aria-pressed=true]{background:#1d63ed;border-color:#1d63ed;color:#fff}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1.2em;padding:0 1.2em 1.2em}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid #e3e6ec;white-space:nowrap}
#events th,#events td{white-space:normal}
#orders tbody tr{cursor:pointer}#orders tbody tr:hover{background:#eef3ff}
#detail{overflow-x:auto;background:#fff;padding:.8em 1em;border:1px solid #e3e6ec;border-radius:4px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dt{color:#5b6475}dd{margin:0;word-break:break-all}
#actions{display:flex;flex-wrap:wrap;gap:.4em;margin:.6em 0}
#actions button{padding:.35em .8em;cursor:pointer}
.resolve{display:flex;gap:.4em}#note{min-width:14em}
#message{min-height:1.4em;color:#1d63ed}
`

export const OPS_JS = `'use strict'
const body = document.body
const base = body.dataset.base
const readOnly = body.dataset.readOnly === 'true'
const VIEWS = [['attention', 'Needs a human'], ['undelivered', 'Undelivered'], ['delivery_exhausted', 'Delivery gave up'], ['stuck', 'Stuck'], ['recent', 'Recent']]
let view = new URLSearchParams(location.search).get('view') || 'undelivered'
let next = null
let current = null

function el(tag, text) { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); return e }
function when(value) { return value ? new Date(value).toISOString().replace('T', ' ').slice(0, 19) : '' }

async function api(path, options) {
  const response = await fetch(base + '/api' + path, Object.assign({ headers: { accept: 'application/json' } }, options))
  const data = await response.json().catch(() => ({}))
  if (!response.ok) throw new Error(data.message || response.statusText)
  return data
}

function deliveryState(order) {
  if (order.status === 'init') return ''
  if (order.deliveredAt) return 'delivered ' + when(order.deliveredAt)
  if (order.deliveryGaveUpAt) return 'gave up after ' + order.deliveryAttempts
  return order.deliveryAttempts ? 'failing (' + order.deliveryAttempts + ')' : 'pending'
}

async function loadViews() {
  const counts = await api('/views')
  const nav = document.getElementById('views')
  nav.replaceChildren(...VIEWS.map(([name, label]) => {
    const button = el('button', label + ' (' + counts[name] + ')')
    button.dataset.view = name
    button.setAttribute('aria-pressed', String(name === view))
    button.onclick = () => { view = name; history.replaceState(null, '', '?view=' + name); refresh() }
    return button
  }))
}

async function loadOrders(append) {
  const page = await api('/orders?view=' + encodeURIComponent(view) + (append && next ? '&after=' + encodeURIComponent(next) : ''))
  const tbody = document.querySelector('#orders tbody')
  if (!append) tbody.replaceChildren()
  for (const order of page.orders) {
    const row = el('tr')
    row.dataset.orderNo = order.orderNo
    for (const value of [order.orderNo, order.status, order.currency + ' ' + order.amount, when(order.createdAt), when(order.finalizedAt), order.attention || '', deliveryState(order)]) row.append(el('td', value))
    row.onclick = () => showOrder(order.orderNo)
    tbody.append(row)
  }
  next = page.next
  document.getElementById('more').hidden = next === null
  document.getElementById('empty').hidden = tbody.children.length > 0
}

async function showOrder(orderNo) {
  const { order, events } = await api('/orders/' + encodeURIComponent(orderNo))
  current = order
  document.getElementById('detail').hidden = false
  document.getElementById('detail-title').textContent = order.orderNo
  const fields = [['Status', order.status], ['Amount', order.currency + ' ' + order.amount], ['Source', order.resultSource], ['Result code', order.resultCode], ['Payment id', order.paymentId], ['Created', when(order.createdAt)], ['Final', when(order.finalizedAt)], ['Needs a human', order.attention], ['Cancel', order.cancelState], ['Delivery', deliveryState(order)], ['Delivery attempts', order.deliveryAttempts], ['Last delivery error', order.deliveryError]]
  document.getElementById('fields').replaceChildren(...fields.filter(([, v]) => v !== null && v !== undefined && v !== '').flatMap(([k, v]) => [el('dt', k), el('dd', v)]))
  const actions = document.getElementById('actions')
  actions.hidden = readOnly
  const final = order.status !== 'init'
  actions.querySelector('[data-action=retry-delivery]').hidden = !(final && !order.deliveredAt)
  actions.querySelector('[data-action=redeliver]').hidden = !(final && order.deliveredAt)
  actions.querySelector('[data-action=reinquire]').hidden = final
  actions.querySelector('.resolve').hidden = final
  document.querySelector('#events tbody').replaceChildren(...events.map((event) => {
    const row = el('tr')
    for (const value of [when(event.createdAt), event.source, event.resultStatus, event.resultCode || '', event.applied ? 'yes' : '', event.reason || '', event.deliveries]) row.append(el('td', value))
    return row
  }))
}

async function act(button) {
  const message = document.getElementById('message')
  const body = button.dataset.action === 'resolve' ? { status: button.dataset.status, note: document.getElementById('note').value } : {}
  message.textContent = ''
  try {
    const outcome = await api('/orders/' + encodeURIComponent(current.orderNo) + '/' + button.dataset.action, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-alipayplus-admin': '1' },
      body: JSON.stringify(body),
    })
    message.textContent = outcome.changed ? 'Done.' : 'Nothing to do: ' + outcome.reason
  } catch (error) {
    message.textContent = 'Failed: ' + error.message
  }
  await refresh()
  await showOrder(current.orderNo)
}

async function refresh() {
  try {
    await loadViews()
    await loadOrders(false)
  } catch (error) {
    document.getElementById('message').textContent = 'Failed: ' + error.message
  }
}

document.getElementById('mode').textContent = readOnly ? 'read-only' : ''
document.getElementById('more').onclick = () => loadOrders(true)
for (const button of document.querySelectorAll('#actions button')) button.onclick = () => act(button)
refresh()
`
