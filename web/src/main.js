import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import App from './App.vue'
import { router } from './router.js'
import { i18n } from './i18n/index.js'
import { loadSession } from './api.js'
import './style.css'

// who is signed in is known before the first page renders (401 = a visitor)
loadSession().finally(() => {
  createApp(App).use(router).use(i18n).use(ElementPlus).mount('#app')
})
