// The JSON API client: same-origin fetch with the session cookie, the CSRF token on every
// write, and errors turned into exceptions that carry the server's
// {error: {code, message, field, details}}.
import { reactive } from 'vue'
import { ElMessage } from 'element-plus'

export const session = reactive({ user: null, csrf: '', checked: false })

const WRITE_ROLES = ['admin', 'org_admin', 'org_member']
export const canWrite = () => !!session.user && WRITE_ROLES.includes(session.user.role)
// The rights the server checks on a record (may_write in src/http/api.c): admins change and delete every
// record; org_admin changes and deletes its own org's, org_member only changes them.
export const canEdit = (rec) => !!rec && canWrite() && (session.user.role === 'admin' || (!!session.user.org_id && session.user.org_id === rec.org_id))
export const canDelete = (rec) => canEdit(rec) && session.user.role !== 'org_member'

export class ApiError extends Error {
  constructor(status, error, retryAfter) {
    super((error && error.message) || `HTTP ${status}`)
    this.status = status
    this.code = error && error.code
    this.field = error && error.field
    this.details = (error && error.details) || []
    this.retryAfter = retryAfter
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
  const headers = { Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (method !== 'GET' && method !== 'HEAD' && session.csrf) headers['X-CSRF-Token'] = session.csrf
  let res
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch (e) {
    throw new ApiError(0, { code: 'network', message: e.message || 'network error' })
  }
  if (res.status === 204) return null
  const text = await res.text()
  let data = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = null
  }
  if (!res.ok) {
    // a session that ran out while the page was open: the UI falls back to a visitor's
    if (res.status === 401 && path !== 'auth/me' && path !== 'auth/login' && session.user) {
      session.user = null
      session.csrf = ''
    }
    throw new ApiError(res.status, data && data.error, Number(res.headers.get('Retry-After')) || 0)
  }
  return data
}

// Shows the server's error message (or the HTTP status) as a toast.
export function showError(e) {
  ElMessage({ type: 'error', message: (e && e.message) || String(e), grouping: true, showClose: true })
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
