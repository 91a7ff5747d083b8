// Names of orgs and chain nodes, fetched once and shared by every page.
import { reactive } from 'vue'
import { api } from './api.js'

const orgs = reactive({})
const nodes = reactive({})
let orgsLoading = null
let nodesLoading = null

async function all(type, into, key) {
  let cursor
  do {
    const page = await api(type, { query: { limit: 200, cursor } })
    for (const r of page.items) into[r.id] = r[key] || r.name || r.id
    cursor = page.next_cursor
  } while (cursor)
}

export function orgNames() {
  if (!orgsLoading) orgsLoading = all('orgs', orgs, 'short_name').catch(() => {})
  return orgs
}

export function nodeNames() {
  if (!nodesLoading) nodesLoading = all('nodes', nodes, 'name').catch(() => {})
  return nodes
}
