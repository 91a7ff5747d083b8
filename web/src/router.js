import { createRouter, createWebHistory } from 'vue-router'
import Dashboard from './views/Dashboard.vue'
import RecordList from './views/RecordList.vue'
import RecordDetail from './views/RecordDetail.vue'
import Publish from './views/Publish.vue'
import Chains from './views/Chains.vue'
import ChainMap from './views/ChainMap.vue'
import Login from './views/Login.vue'

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', component: Dashboard },
    { path: '/login', component: Login },
    { path: '/demands', component: RecordList, props: { type: 'demands' } },
    { path: '/supplies', component: RecordList, props: { type: 'supplies' } },
    { path: '/demands/new', component: Publish, props: { type: 'demands' } },
    { path: '/supplies/new', component: Publish, props: { type: 'supplies' } },
    { path: '/demands/:id', component: RecordDetail, props: (r) => ({ type: 'demands', id: r.params.id }) },
    { path: '/supplies/:id', component: RecordDetail, props: (r) => ({ type: 'supplies', id: r.params.id }) },
    { path: '/chains', component: Chains },
    { path: '/chains/:id', component: ChainMap, props: true },
    { path: '/:rest(.*)', redirect: '/' },
  ],
})
