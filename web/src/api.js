// The JSON API client: same-origin fetch with the session cookie, the CSRF token on writes,
// and errors turned into exceptions carrying the server's {error: {code, message, field,
// details}}.
import { reactive } from 'vue'

export const session = reactive({ user: null, csrf: '', checked: false })

export class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || `HTTP ${status}`)
    this.status = status
    this.code = error && error.code
    this.field = error && error.field
    this.details = (error && error.details) || []
  }
}

export async function api(path, { method = 'GET', body, query } = {}) {
  let url = '/api/v1/' + path
  if (query) {
    const qs = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue
      if (Array.isArray(v)) v.forEach((x) => qs.append(k, x))
      else qs.append(k, v)
    }
    const s = qs.toString()
    if (s) url += '?' + s
  }
  const headers = {}
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (res.status === 204) return null
  const text = await res.text()
  let data = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = null
  }
  if (!res.ok) throw new ApiError(res.status, data && data.error)
  return data
}

export async function loadSession() {
  try {
    const me = await api('auth/me')
    session.user = me.user
    session.csrf = me.csrf || ''
  } catch {
    session.user = null
    session.csrf = ''
  }
  session.checked = true
}

export async function login(user, password) {
  const r = await api('auth/login', { method: 'POST', body: { user, password } })
  session.user = r.user
  session.csrf = r.csrf
  return r.user
}

export async function logout() {
  try {
    await api('auth/logout', { method: 'POST' })
  } finally {
    session.user = null
    session.csrf = ''
  }
}
