// History routing: `kechan serve` answers index.html for every path outside /api/ and /assets/.
import { createRouter, createWebHistory } from 'vue-router'
import Dashboard from './views/Dashboard.vue'
import RecordList from './views/RecordList.vue'
import RecordDetail from './views/RecordDetail.vue'
import Publish from './views/Publish.vue'
import Chains from './views/Chains.vue'
import ChainMap from './views/ChainMap.vue'
import Login from './views/Login.vue'
import Users from './views/Users.vue'
import Search from './views/Search.vue'

export const router = createRouter({
  history: createWebHistory('/'),
  routes: [
    { path: '/', component: Dashboard, meta: { nav: 'dashboard' } },
    { path: '/login', component: Login },
    { path: '/search', component: Search, meta: { nav: 'search' } },
    { path: '/demands', component: RecordList, props: { type: 'demands' }, meta: { nav: 'demands' } },
    { path: '/supplies', component: RecordList, props: { type: 'supplies' }, meta: { nav: 'supplies' } },
    { path: '/demands/new', component: Publish, props: { type: 'demands' }, meta: { nav: 'publish-demand' } },
    { path: '/supplies/new', component: Publish, props: { type: 'supplies' }, meta: { nav: 'publish-supply' } },
    { path: '/demands/:id/edit', component: Publish, props: (r) => ({ type: 'demands', id: r.params.id }), meta: { nav: 'demands' } },
    { path: '/supplies/:id/edit', component: Publish, props: (r) => ({ type: 'supplies', id: r.params.id }), meta: { nav: 'supplies' } },
    { path: '/demands/:id', component: RecordDetail, props: (r) => ({ type: 'demands', id: r.params.id }), meta: { nav: 'demands' } },
    { path: '/supplies/:id', component: RecordDetail, props: (r) => ({ type: 'supplies', id: r.params.id }), meta: { nav: 'supplies' } },
    { path: '/users', component: Users, meta: { nav: 'users' } },
    { path: '/chains', component: Chains, meta: { nav: 'chains' } },
    { path: '/chains/:id', component: ChainMap, props: true, meta: { nav: 'chains' } },
    { path: '/:rest(.*)', redirect: '/' },
  ],
  scrollBehavior: (to, from, saved) => saved || (to.path !== from.path ? { top: 0 } : undefined),
})
