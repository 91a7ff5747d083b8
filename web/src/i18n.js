// Every string the UI shows, in simplified Chinese (the default) and English.
import { createI18n } from 'vue-i18n'

const zh = {
  app: { name: '科产', tagline: '科技创新和产业创新融合平台', footer: '产业出题 · 科技答题' },
  nav: { dashboard: '总览', demands: '技术需求', supplies: '科技供给', chains: '产业链图谱', publishDemand: '发布需求', publishSupply: '发布供给' },
  auth: { login: '登录', logout: '退出', user: '用户名或邮箱', password: '密码', submit: '登录', wrong: '用户名或密码错误', tooMany: '失败次数过多，请稍后再试', welcome: '欢迎，{name}', anonymous: '未登录：只显示公开信息', role: { admin: '平台管理员', org_admin: '机构管理员', org_member: '机构成员', reviewer: '评审专家', viewer: '访客' } },
  lang: { switch: 'English' },
  common: { search: '搜索', all: '全部', more: '加载更多', loading: '加载中…', none: '暂无数据', total: '共 {n} 条', back: '返回', cancel: '取消', confirm: '确定', save: '发布', error: '出错了', region: '地区', status: '状态', title: '名称', org: '机构', published: '发布日期', yes: '是', no: '否' },
  vis: { public: '公开', members: '会员可见', confidential: '保密' },
  status: { open: '征集中', matched: '已对接', closed: '已关闭', active: '有效' },
  kind: { achievement: '科技成果', patent: '专利', capability: '技术能力', facility: '仪器设施', expert: '专家' },
  stage: { lab: '实验室', concept: '概念验证', pilot: '中试', industrial: '产业化' },
  field: { id: '编号', org_id: '机构', title: '名称', description: '描述', keywords: '关键词', nodes: '产业链节点', region: '地区', trl: '技术就绪度', trl_min: '期望技术就绪度', budget_min: '最低预算(万元)', budget_max: '最高预算(万元)', deadline: '截止日期', visibility: '可见性', published: '发布日期', status: '状态', kind: '类型', stage: '成熟阶段', transfer: '转化方式', price_min: '最低价格(万元)', price_max: '最高价格(万元)', patent_no: '专利号', ipc: '专利分类号', industries: '行业' },
  hidden: '保密 · 发布方已隐藏',
  dash: { counts: '平台数据', demandsByStatus: '需求状态', suppliesByKind: '供给类型', recent: '最新需求', top: '高分对接', supplies: '科技供给', demands: '技术需求', orgs: '机构', chains: '产业链', matches: '对接记录', challenges: '揭榜挂帅' },
  match: { title: '智能匹配', forDemand: '能解决这个需求的供给', forSupply: '需要这项供给的需求', rank: '排名', band: { strong: '强', possible: '中', weak: '弱' }, confidence: '置信度', why: '匹配依据', foundIn: '出现在', bonuses: '加成', accept: '有意向', decline: '不合适', reason: '原因', declined: '已拒绝', accepted: '已接受', feedbackSaved: '反馈已记录', onlyOwner: '保密需求的匹配结果只对发布机构和管理员开放', terms: '检索词', none: '没有找到匹配结果' },
  where: { title: '名称', description: '描述', keywords: '关键词', codes: '分类号', nodes: '产业链节点', org: '机构' },
  reasons: { too_early: '技术尚不成熟', wrong_field: '领域不对口', too_expensive: '价格过高', already_known: '已经掌握', capacity: '产能/能力不足', location: '地域不便', ip_unclear: '知识产权不清', no_response: '对方无回应', other: '其他' },
  publish: { demandTitle: '发布技术需求', supplyTitle: '发布科技供给', required: '请填写{f}', tooLong: '{f}不能超过{n}个字', budget: '最低预算不能高于最高预算', price: '最低价格不能高于最高价格', checkFirst: '保密需求可能暴露发布方', warnTitle: '这些内容可能让读者猜出发布方：', publishAnyway: '仍然发布', fix: '修改', done: '发布成功', keywordsHint: '回车添加关键词', nodesHint: '选择产业链节点', regionHint: '输入地名搜索，如 宜宾', signIn: '请先登录再发布' },
  chain: { list: '产业链', pick: '选择地区查看覆盖情况', graph: '关系图', sankey: '桑基图', coverage: '覆盖', gaps: '缺失环节（补链）', weak: '薄弱环节（强链）', present: '已覆盖', thin: '薄弱', absent: '缺失', unsupplied: '全国无供给', nodes: '节点', edges: '关系', companies: '企业', score: '得分', stageUp: '上游', stageMid: '中游', stageDown: '下游', node: '节点详情', local: '本地企业', national: '全国企业', noRegion: '选择地区后显示缺失和薄弱环节' },
}

const en = {
  app: { name: 'kechan', tagline: 'Innovation chain meets industrial chain', footer: 'Industry asks, science answers' },
  nav: { dashboard: 'Dashboard', demands: 'Demands', supplies: 'Supplies', chains: 'Chain maps', publishDemand: 'Publish demand', publishSupply: 'Publish supply' },
  auth: { login: 'Sign in', logout: 'Sign out', user: 'User id or e-mail', password: 'Password', submit: 'Sign in', wrong: 'Wrong user or password', tooMany: 'Too many failed attempts; try again later', welcome: 'Welcome, {name}', anonymous: 'Not signed in: public data only', role: { admin: 'Administrator', org_admin: 'Org admin', org_member: 'Org member', reviewer: 'Reviewer', viewer: 'Viewer' } },
  lang: { switch: '中文' },
  common: { search: 'Search', all: 'All', more: 'Load more', loading: 'Loading…', none: 'Nothing here', total: '{n} in all', back: 'Back', cancel: 'Cancel', confirm: 'OK', save: 'Publish', error: 'Error', region: 'Region', status: 'Status', title: 'Title', org: 'Organization', published: 'Published', yes: 'yes', no: 'no' },
  vis: { public: 'Public', members: 'Members only', confidential: 'Confidential' },
  status: { open: 'Open', matched: 'Matched', closed: 'Closed', active: 'Active' },
  kind: { achievement: 'Achievement', patent: 'Patent', capability: 'Capability', facility: 'Facility', expert: 'Expert' },
  stage: { lab: 'Lab', concept: 'Proof of concept', pilot: 'Pilot', industrial: 'Industrial' },
  field: { id: 'Id', org_id: 'Organization', title: 'Title', description: 'Description', keywords: 'Keywords', nodes: 'Chain nodes', region: 'Region', trl: 'TRL', trl_min: 'Minimum TRL', budget_min: 'Budget from (10k CNY)', budget_max: 'Budget to (10k CNY)', deadline: 'Deadline', visibility: 'Visibility', published: 'Published', status: 'Status', kind: 'Kind', stage: 'Stage', transfer: 'Transfer', price_min: 'Price from (10k CNY)', price_max: 'Price to (10k CNY)', patent_no: 'Patent no.', ipc: 'IPC', industries: 'Industries' },
  hidden: 'Confidential · owner hidden',
  dash: { counts: 'On the platform', demandsByStatus: 'Demands by status', suppliesByKind: 'Supplies by kind', recent: 'Newest demands', top: 'Top matches', supplies: 'Supplies', demands: 'Demands', orgs: 'Organizations', chains: 'Chains', matches: 'Matches', challenges: 'Challenges' },
  match: { title: 'Matching', forDemand: 'Supplies that could answer this demand', forSupply: 'Demands this supply could answer', rank: 'Rank', band: { strong: 'strong', possible: 'possible', weak: 'weak' }, confidence: 'Confidence', why: 'Why', foundIn: 'found in', bonuses: 'Bonuses', accept: 'Interested', decline: 'Not a fit', reason: 'Reason', declined: 'declined', accepted: 'accepted', feedbackSaved: 'Feedback recorded', onlyOwner: 'Matches of a confidential demand are shown to its org and admins only', terms: 'Query terms', none: 'No matches found' },
  where: { title: 'title', description: 'description', keywords: 'keywords', codes: 'codes', nodes: 'chain nodes', org: 'organization' },
  reasons: { too_early: 'Too early', wrong_field: 'Wrong field', too_expensive: 'Too expensive', already_known: 'Already known', capacity: 'Not enough capacity', location: 'Location', ip_unclear: 'IP unclear', no_response: 'No response', other: 'Other' },
  publish: { demandTitle: 'Publish a technical demand', supplyTitle: 'Publish a supply', required: '{f} is required', tooLong: '{f} must be at most {n} characters', budget: 'The lower budget exceeds the upper one', price: 'The lower price exceeds the upper one', checkFirst: 'This confidential demand may reveal who asks', warnTitle: 'Readers could guess the publisher from:', publishAnyway: 'Publish anyway', fix: 'Edit', done: 'Published', keywordsHint: 'Enter to add a keyword', nodesHint: 'Pick chain nodes', regionHint: 'Type a place, e.g. 宜宾', signIn: 'Sign in to publish' },
  chain: { list: 'Chains', pick: 'Pick a region to see its coverage', graph: 'Graph', sankey: 'Sankey', coverage: 'Coverage', gaps: 'Missing links (fill)', weak: 'Weak links (strengthen)', present: 'present', thin: 'thin', absent: 'absent', unsupplied: 'no supplier anywhere', nodes: 'nodes', edges: 'edges', companies: 'companies', score: 'score', stageUp: 'Upstream', stageMid: 'Midstream', stageDown: 'Downstream', node: 'Node', local: 'local companies', national: 'companies nationally', noRegion: 'Pick a region to list its gaps and weak links' },
}

export function savedLocale() {
  try {
    return localStorage.getItem('kechan.locale') === 'en' ? 'en' : 'zh-CN'
  } catch {
    return 'zh-CN'
  }
}

export const i18n = createI18n({
  legacy: false,
  locale: savedLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zh, en },
})

export function setLocale(l) {
  i18n.global.locale.value = l
  document.documentElement.lang = l
  try {
    localStorage.setItem('kechan.locale', l)
  } catch {
    /* private mode: not remembered */
  }
}
