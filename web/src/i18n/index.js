// vue-i18n set-up: simplified Chinese by default, English on request; the choice is kept in
// localStorage ('kechan.locale') and Element Plus follows it (see App.vue).
import { createI18n } from 'vue-i18n'
import zhCN from './zh-CN.js'
import en from './en.js'

const KEY = 'kechan.locale'

export function savedLocale() {
  try {
    return localStorage.getItem(KEY) === 'en' ? 'en' : 'zh-CN'
  } catch {
    return 'zh-CN'
  }
}

export const i18n = createI18n({
  legacy: false,
  locale: savedLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

document.documentElement.lang = i18n.global.locale.value

export function setLocale(l) {
  i18n.global.locale.value = l
  document.documentElement.lang = l
  try {
    localStorage.setItem(KEY, l)
  } catch {
    /* private mode: not remembered */
  }
}

// A translated enum value, or the raw value when the messages have no entry for it.
// With known = true: whether the messages have the entry at all.
export function te(prefix, value, known = false) {
  if (value === undefined || value === null || value === '') return known ? false : ''
  const key = prefix + '.' + value
  const has = i18n.global.te(key)
  if (known) return has
  return has ? i18n.global.t(key) : String(value)
}
