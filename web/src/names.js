// Names of orgs, chain nodes, chains and regions, fetched once and shared by every page.
import { reactive } from 'vue'
import { api } from './api.js'

const orgs = reactive({})
const nodes = reactive({}) // id → {id, name, chain_id, stage}
const chains = reactive({}) // id → {name, name_en}
const regions = reactive({}) // code → {name, fullname}
const loading = {}
const regionAsked = new Set()

async function all(type, fn) {
  let cursor
  do {
    const page = await api(type, { query: { limit: 200, cursor } })
    for (const r of page.items) fn(r)
    cursor = page.next_cursor
  } while (cursor)
}

function once(key, fn) {
  if (!loading[key]) loading[key] = fn().catch(() => { loading[key] = null })
  return loading[key]
}

export function orgNames() {
  once('orgs', () => all('orgs', (r) => { orgs[r.id] = r.short_name || r.name || r.id }))
  return orgs
}

export function nodeInfo() {
  once('nodes', () => all('nodes', (r) => { nodes[r.id] = { id: r.id, name: r.name, chain_id: r.chain_id, stage: r.stage } }))
  return nodes
}

export function chainNames() {
  once('chains', async () => {
    const r = await api('chains')
    for (const c of r.items) chains[c.id] = { name: c.name, name_en: c.name_en }
  })
  return chains
}

// A chain's name in the UI's language: in English its English name when it has one.
export const chainName = (c, locale) => (c ? (locale === 'en' && c.name_en) || c.name : '')

export const nodesLoaded = () => loading.nodes || Promise.resolve()

// The name of a GB/T 2260 region code, looked up on first use.
export function regionOf(code) {
  if (!code) return null
  if (!regionAsked.has(code)) {
    regionAsked.add(code)
    api('regions', { query: { code } })
      .then((r) => { if (r.items && r.items[0]) regions[code] = r.items[0] })
      .catch(() => {})
  }
  return regions[code] || null
}

export function rememberRegion(r) {
  if (r && r.code) {
    regionAsked.add(r.code)
    regions[r.code] = r
  }
}

export async function searchRegions(q) {
  if (!q || !q.trim()) return []
  const r = await api('regions', { query: { q: q.trim() } })
  for (const x of r.items) rememberRegion(x)
  return r.items
}
