import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import App from './App.vue'
import { router } from './router.js'
import { i18n } from './i18n.js'
import { loadSession } from './api.js'
import './style.css'

loadSession().finally(() => {
  createApp(App).use(router).use(i18n).use(ElementPlus).mount('#app')
})
