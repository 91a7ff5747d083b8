// Browser tests: playwright-core driving Debian's chromium, headless, against a running
// `kechan serve` on the demo data (tests/integration/test_browser.sh starts it).
//   node tests/browser.mjs BASE_URL SHOT_DIR
// Searches from the dashboard (ranked, explained supplies and demands). Checks that the pages fit
// from 1280 to 1920 px wide in both languages, for a visitor and an org admin; that a visitor is
// told in Chinese or English that a confidential demand is not found or not visible to them. Signs
// in, publishes a demand and sees its explained matches, sees a confidential demand's owner warning
// on publishing, edits, closes and deletes it, manages its org's users, changes a password, opens a
// chain map with a region's gaps, switches language, and checks that another org's confidential
// demand shows no owner. Checks that matched terms are marked where the server's highlight
// spans say, 正極 in a traditional title for the term 正极. On a failure it keeps a screenshot in SHOT_DIR and exits 1.
import { chromium } from 'playwright-core'
import { mkdirSync } from 'node:fs'

const base = process.argv[2]
const shots = process.argv[3] || 'browser-shots'
const password = process.env.KC_DEMO_PASSWORD || 'kechan-demo-2026'
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium'
mkdirSync(shots, { recursive: true })

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
let failed = 0
const pageErrors = []
let expect404 = false

async function step(name, page, fn) {
  try {
    await fn()
    console.log('ok   ' + name)
  } catch (e) {
    failed++
    const file = `${shots}/${name.replace(/[^a-z0-9]+/gi, '-')}.png`
    await page.screenshot({ path: file, fullPage: true }).catch(() => {})
    console.log(`FAIL ${name}: ${e.message.split('\n')[0]} (screenshot ${file})`)
  }
}
function expect(cond, msg) {
  if (!cond) throw new Error(msg)
}

async function newPage() {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  const page = await ctx.newPage()
  page.setDefaultTimeout(15000)
  page.on('pageerror', (e) => pageErrors.push(String(e)))
  page.on('console', (m) => {
    // a CSP violation or a script error is a failure; 401 (a visitor's /auth/me) and 403 (the
    // matches of another org's confidential demand) are answers the pages expect
    // (and 404 while a step looks at a record it deleted)
    if (m.type() === 'error' && !/status of 40[13]/.test(m.text()) && !(expect404 && /status of 404/.test(m.text()))) pageErrors.push(m.text())
  })
  return page
}

// An Element Plus input by its test id (the id lands on the <input> itself or on a wrapper).
function field(page, id) {
  return page.locator(`input[data-testid="${id}"], textarea[data-testid="${id}"], [data-testid="${id}"] input, [data-testid="${id}"] textarea`).first()
}

async function signIn(page, user) {
  await page.goto(base + '/login')
  await field(page, 'login-user').fill(user)
  await field(page, 'login-password').fill(password)
  await page.getByTestId('login-submit').click()
  await page.getByTestId('user-menu').waitFor()
}

// Switches the UI to the language whose navigation names the demands so.
async function inLanguage(page, demands) {
  if ((await page.getByTestId('nav-demands').innerText()) !== demands) await page.getByTestId('lang-switch').click()
  await page.getByTestId('nav-demands').filter({ hasText: demands }).waitFor()
}
// The page is no wider than the window, the header keeps one row (the language button on one
// line, sign-in or sign-out inside the window) and the dashboard's search box shows its whole
// placeholder from 1280 to 1920 px, in both languages; leaves the page in Chinese at 1440 px.
async function fitsWidths(page, pages) {
  try {
    await widths(page, pages)
  } finally {
    await page.setViewportSize({ width: 1440, height: 900 })
    await inLanguage(page, '技术需求')
  }
}
async function widths(page, pages) {
  for (const [lang, demands] of [['en', 'Demands'], ['zh-CN', '技术需求']]) {
    await inLanguage(page, demands)
    for (const [path, ready] of pages) {
      await page.goto(base + path)
      await page.getByTestId(ready).waitFor()
      for (const width of [1280, 1366, 1440, 1920]) {
        await page.setViewportSize({ width, height: 900 })
        const m = await page.evaluate(() => {
          const box = (id) => document.querySelector(`[data-testid=${id}]`)?.getBoundingClientRect()
          const end = box('logout') || box('login-link')
          // the search box's placeholder, measured in the input's font against its text area
          const input = document.querySelector('[data-testid=dash-search-input] input, input[data-testid=dash-search-input]')
          let cut = 0
          if (input) {
            const cs = getComputedStyle(input)
            const ctx = document.createElement('canvas').getContext('2d')
            ctx.font = cs.font
            cut = ctx.measureText(input.placeholder).width - (input.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight))
          }
          return { over: document.documentElement.scrollWidth - window.innerWidth, lang: box('lang-switch').height, end: end.right - window.innerWidth, cut }
        })
        const at = `${lang} ${path} at ${width} px`
        expect(m.over <= 0, `${at}: the page is ${m.over} px wider than the window`)
        expect(m.lang < 34, `${at}: the language button wraps (${m.lang} px high)`)
        expect(m.end <= 0, `${at}: the header's last button ends ${m.end} px outside the window`)
        expect(m.cut <= 0, `${at}: the search box cuts ${Math.ceil(m.cut)} px off its placeholder`)
      }
    }
  }
}

// ---- a university's technology-transfer officer
const uni = await newPage()
await step('dashboard loads for a visitor', uni, async () => {
  await uni.goto(base + '/')
  await uni.getByTestId('dash-counts').waitFor()
  expect(await uni.locator('canvas').count() >= 2, 'the dashboard charts are missing')
})
await step('a visitor\'s pages fit from 1280 to 1920 px wide in both languages', uni, async () => {
  await fitsWidths(uni, [['/', 'dash-counts'], ['/demands', 'demands-table']])
})
await step('a visitor opening a confidential demand is told in each language it is not found or not visible', uni, async () => {
  expect404 = true
  try {
    await uni.goto(base + '/demands/dem-0004')
    const err = uni.getByTestId('record-error')
    await err.waitFor()
    const zh = await err.innerText()
    expect(zh.includes('未找到或无权查看') && !/not found/i.test(zh), 'not the Chinese message: ' + zh)
    await err.locator('a[href^="/login"]').waitFor()
    await uni.getByTestId('lang-switch').click()
    await err.filter({ hasText: 'Not found, or you may not see it' }).waitFor()
    await uni.getByTestId('lang-switch').click()
    await err.filter({ hasText: '未找到或无权查看' }).waitFor()
  } finally {
    expect404 = false
  }
})
await step('a declined match is not tagged green', uni, async () => {
  await uni.goto(base + '/demands/dem-0017')
  const tag = uni.getByTestId('match-stage').filter({ hasText: '已谢绝' })
  await tag.waitFor()
  expect(!/el-tag--success/.test(await tag.getAttribute('class')), 'the declined match is tagged as progress')
})
await step('matched terms are marked in a traditional-script title and in the record, where the server says', uni, async () => {
  // sup-0255 「一種層狀氧化物正極…」 answers dem-0062 「层状氧化物正极…」: the explanation's
  // terms are simplified (正极), the marks come from the server's code-point spans
  await uni.goto(base + '/demands/dem-0062')
  const item = uni.locator('[data-testid=match-item][data-id="sup-0255"]')
  await item.waitFor()
  const marks = await item.getByTestId('match-title').locator('mark').allInnerTexts()
  expect(marks.some((x) => x.includes('正極')), 'no mark in the traditional title holds 正極: ' + JSON.stringify(marks))
  // the record's own title and description are marked as query_highlight says (touching spans
  // make one mark)
  const answer = await (await uni.request.get(base + '/api/v1/match/demands/dem-0062')).json()
  const marked = (text, spans) => {
    const chars = Array.from(text)
    const out = []
    let end = -1
    for (const [a, b] of spans) {
      const s = chars.slice(a, b).join('')
      if (a === end) out[out.length - 1] += s
      else out.push(s)
      end = b
    }
    return out
  }
  for (const field of ['title', 'description']) {
    const want = marked(answer.query[field], answer.query_highlight[field])
    const got = await uni.getByTestId('record-' + field).locator('mark').allInnerTexts()
    expect(want.length > 0 && JSON.stringify(got) === JSON.stringify(want), `the record's ${field} marks ${JSON.stringify(got)}, the server says ${JSON.stringify(want)}`)
  }
})
await step('the dashboard search ranks and explains supplies and demands for several words in either language', uni, async () => {
  await uni.goto(base + '/')
  await uni.getByTestId('dash-search-supplies').click()
  await field(uni, 'dash-search-input').fill('钠离子电池 硬碳')
  await uni.getByTestId('dash-search-submit').click()
  await uni.waitForURL(/\/search\?.*target=supplies/)
  await uni.getByTestId('match-item').first().waitFor()
  expect((await uni.getByTestId('match-item').count()) >= 3, 'fewer than 3 supplies found')
  const first = uni.getByTestId('match-item').first()
  expect(['强', '中', '弱'].includes(await first.getByTestId('match-band').innerText()), 'the first result has no band')
  expect((await first.getByTestId('match-explanation').locator('.el-tag').count()) > 0, 'the first result has no explanation')
  expect(/^\/supplies\//.test(new URL(await first.getByTestId('match-title').getAttribute('href'), base).pathname), 'a supply result does not link to the supply')
  // the same page searches demands, mixed languages too
  await field(uni, 'search-input').fill('spodumene 焙烧')
  await uni.getByTestId('search-target-demands').click()
  await uni.waitForURL(/\/search\?.*target=demands/)
  await uni.locator('[data-testid=match-item][data-id="dem-0008"]').waitFor()
  expect(/^\/demands\//.test(new URL(await uni.getByTestId('match-title').first().getAttribute('href'), base).pathname), 'a demand result does not link to the demand')
})
await step('wrong password is refused with a message', uni, async () => {
  await uni.goto(base + '/login')
  await field(uni, 'login-user').fill('u-csu')
  await field(uni, 'login-password').fill('not-the-password')
  await uni.getByTestId('login-submit').click()
  await uni.getByTestId('login-error').waitFor()
})
await step('sign in', uni, async () => {
  await signIn(uni, 'tto@csu.example')
  expect((await uni.getByTestId('user-menu').innerText()).includes('中南大学'), 'the user menu does not name the org')
})
await step('switch language and back', uni, async () => {
  await uni.getByTestId('lang-switch').click()
  await uni.getByText('Dashboard', { exact: true }).first().waitFor()
  expect((await uni.getByTestId('nav-demands').innerText()) === 'Demands', 'the navigation did not switch to English')
  await uni.reload()
  expect((await uni.getByTestId('nav-demands').innerText()) === 'Demands', 'the language choice was not remembered')
  await uni.getByTestId('lang-switch').click()
  expect((await uni.getByTestId('nav-demands').innerText()) === '技术需求', 'the navigation did not switch back to Chinese')
})
await step("another org's confidential demand shows no owner", uni, async () => {
  await uni.goto(base + '/demands?visibility=confidential')
  await uni.getByTestId('demands-table').waitFor()
  await uni.getByTestId('owner-hidden').first().waitFor()
  expect((await uni.getByTestId('owner-hidden').count()) >= 10, 'fewer confidential demands than the demo holds')
  const text = await uni.locator('main').innerText()
  expect(!text.includes('江东动力'), 'the list names the owner of a confidential demand')
  await uni.goto(base + '/demands/dem-0004')
  await uni.getByTestId('record').waitFor()
  await uni.getByTestId('owner-hidden').first().waitFor()
  await uni.getByTestId('match-error').waitFor()
  const detail = await uni.locator('main').innerText()
  expect(!detail.includes('江东动力') && !detail.includes('org-secret-cell'), 'the detail page names the owner')
})
await step('publish a supply and see the demands it answers, with explanations', uni, async () => {
  await uni.goto(base + '/supplies/new')
  await field(uni, 'f-title').fill('硬碳负极预钠化与首效提升技术')
  await field(uni, 'f-description').fill('通过预钠化和孔结构调控把钠离子电池硬碳负极首次库仑效率提高到90%以上，已完成公斤级中试。')
  await uni.getByTestId('publish-submit').click()
  await uni.waitForURL(/\/supplies\/sup-/)
  await uni.getByTestId('match-item').first().waitFor()
  const first = uni.getByTestId('match-item').first()
  expect((await first.getByTestId('match-explanation').locator('.el-tag').count()) > 0, 'the match has no explanation')
  expect((await first.locator('mark').count()) > 0, 'the matched terms are not highlighted')
  expect((await uni.getByTestId('match-item').count()) >= 3, 'fewer than 3 matches')
})
await step('a demand\'s matches show close pairs, expansion words with their source and field similarity', uni, async () => {
  await uni.goto(base + '/demands/dem-0001')
  await uni.getByTestId('match-item').first().waitFor()
  const first = uni.getByTestId('match-item').first()
  expect((await first.getByTestId('match-phrase').count()) > 0, 'no close pair (proximity) shown')
  await first.getByTestId('match-more').click()
  const via = first.getByTestId('match-via')
  await via.first().waitFor()
  expect((await via.first().innerText()).startsWith('←'), 'an expansion word does not say where it came from')
  const fieldTag = first.getByTestId('match-field')
  expect((await fieldTag.count()) === 1, 'no field similarity shown (DB.lsa)')
  expect(/\d+%/.test(await fieldTag.innerText()), 'the field similarity shows no percentage')
})
await step('form validation names the field', uni, async () => {
  await uni.goto(base + '/demands/new')
  await uni.getByTestId('publish-submit').click()
  await uni.locator('.el-form-item__error').first().waitFor()
  // a budget whose lower end exceeds the upper one is named at the budget
  await field(uni, 'f-budget-min').fill('50')
  await field(uni, 'f-budget-max').fill('10')
  await field(uni, 'f-budget-max').blur()
  const range = uni.locator('.pair-item').filter({ has: uni.getByTestId('f-budget-max') })
  await range.locator('.el-form-item__error').first().waitFor()
})
await step('chain map with a region: coverage, gaps with reasons', uni, async () => {
  await uni.goto(base + '/chains')
  await uni.getByTestId('chain-chain-li').click()
  await uni.getByTestId('chain-chart').locator('canvas').first().waitFor()
  await field(uni, 'region-select').fill('宜宾')
  await uni.locator('.el-autocomplete-suggestion li').first().click()
  await uni.getByTestId('gap-item').first().waitFor()
  const gap = await uni.getByTestId('gap-item').first().innerText()
  expect(gap.includes('本地'), 'the first gap has no reasons: ' + gap)
  await uni.getByTestId('lang-switch').click()
  await uni.waitForFunction(() => /nationwide|local/.test(document.querySelector('[data-testid=gap-item]')?.innerText || ''))
  const gapEn = await uni.getByTestId('gap-item').first().innerText()
  expect(!gapEn.includes('本地'), 'the gap reasons stayed in Chinese after switching to English: ' + gapEn)
  await uni.getByTestId('chain-name').filter({ hasText: 'Lithium-ion' }).waitFor()
  await uni.getByTestId('lang-switch').click()
  await uni.getByTestId('view-sankey').click()
  await uni.getByTestId('chain-chart').locator('canvas').first().waitFor()
})

// ---- an enterprise publishes a confidential demand that names itself
const ent = await newPage()
await step('a confidential demand that names its org warns before publishing', ent, async () => {
  await signIn(ent, 'u-catl')
  await ent.goto(base + '/demands/new')
  await field(ent, 'f-title').fill('宁德时代麒麟电池包结构件轻量化')
  await ent.getByTestId('vis-confidential').click()
  await ent.getByTestId('publish-submit').click()
  await ent.getByTestId('publish-warnings').waitFor()
  await ent.getByTestId('warning-names_org').waitFor()
  await field(ent, 'f-title').fill('电池包结构件轻量化')
  await ent.getByTestId('publish-submit').click()
  await ent.waitForURL(/\/demands\/dem-/)
  await ent.getByTestId('record').waitFor()
})
await step('edit the demand: only changed fields are saved, closing it shows', ent, async () => {
  await ent.getByTestId('record-edit').click()
  await ent.waitForURL(/\/demands\/dem-[^/]+\/edit$/)
  expect((await field(ent, 'f-title').inputValue()) === '电池包结构件轻量化', 'the edit form did not load the record')
  await field(ent, 'f-title').fill('电池包铝合金结构件轻量化与一体化压铸')
  await ent.getByTestId('status-closed').click()
  await ent.getByTestId('publish-submit').click()
  await ent.waitForURL(/\/demands\/dem-[^/]+$/)
  await ent.waitForFunction(() => (document.querySelector('[data-testid=record-title]')?.innerText || '').includes('一体化压铸'))
  expect((await ent.getByTestId('record-status').innerText()) === '已关闭', 'the status did not change to closed')
  expect((await ent.getByTestId('record-visibility').innerText()) === '保密', 'the edit changed the visibility')
})
await step('delete the demand after confirming', ent, async () => {
  const url = ent.url()
  await ent.getByTestId('record-delete').click()
  await ent.locator('.el-message-box .el-button--danger').click()
  await ent.waitForURL(/\/demands$/)
  expect404 = true
  await ent.goto(url)
  await ent.getByTestId('record-error').waitFor()
  expect404 = false
})
await step("no edit or delete on another org's record", ent, async () => {
  await ent.goto(base + '/supplies/sup-0238')
  await ent.getByTestId('record').waitFor()
  expect((await ent.getByTestId('record-edit').count()) === 0 && (await ent.getByTestId('record-delete').count()) === 0, 'edit or delete offered on a record of another org')
  await ent.goto(base + '/supplies/sup-0238/edit')
  await ent.getByTestId('publish-load-error').waitFor()
})
await step('an org admin\'s pages fit from 1280 to 1920 px wide in both languages', ent, async () => {
  await fitsWidths(ent, [['/', 'dash-counts'], ['/demands', 'demands-table']])
})
await step("an org admin manages its org's users", ent, async () => {
  await ent.getByTestId('nav-users').click()
  await ent.getByTestId('users-table').waitFor()
  expect((await ent.getByTestId('users-table').innerText()).includes('u-catl'), 'the org admin is not in the list')
  await ent.getByTestId('user-new').click()
  await field(ent, 'u-id').fill('u-catl-eng')
  await field(ent, 'u-name').fill('电池包结构工程师')
  await field(ent, 'u-password').fill('short')
  await ent.getByTestId('u-submit').click()
  await ent.getByTestId('user-dialog').locator('.el-form-item__error').first().waitFor()
  await field(ent, 'u-password').fill('engineer-pass-2026')
  await ent.getByTestId('u-submit').click()
  await ent.getByTestId('user-dialog').waitFor({ state: 'hidden' })
  await ent.getByTestId('user-edit-u-catl-eng').waitFor()
  expect((await ent.getByTestId('users-table').innerText()).includes('电池包结构工程师'), 'the new user is not listed')
  await ent.getByTestId('user-delete-u-catl-eng').click()
  await ent.locator('.el-message-box .el-button--danger').click()
  await ent.getByTestId('user-edit-u-catl-eng').waitFor({ state: 'detached' })
})
await step('change the password: a wrong current one is named, the new one signs in', ent, async () => {
  await ent.getByTestId('user-menu').click()
  await ent.getByTestId('menu-password').click()
  const dlg = ent.getByTestId('password-dialog')
  await field(ent, 'pw-current').fill('not-my-password')
  await field(ent, 'pw-new').fill('a-new-passphrase-2026')
  await field(ent, 'pw-again').fill('a-new-passphrase-2026')
  await ent.getByTestId('pw-submit').click()
  await dlg.locator('.el-form-item__error').filter({ hasText: '当前密码不正确' }).waitFor()
  await field(ent, 'pw-current').fill(password)
  await ent.getByTestId('pw-submit').click()
  await dlg.waitFor({ state: 'hidden' })
  await ent.getByTestId('logout').click()
  await ent.getByTestId('login-link').waitFor()
  await ent.goto(base + '/login')
  await field(ent, 'login-user').fill('u-catl')
  await field(ent, 'login-password').fill('a-new-passphrase-2026')
  await ent.getByTestId('login-submit').click()
  await ent.getByTestId('user-menu').waitFor()
})
await step('sign out', ent, async () => {
  await ent.getByTestId('logout').click()
  await ent.getByTestId('login-link').waitFor()
})

await step('no script errors or CSP violations', uni, async () => {
  expect(pageErrors.length === 0, pageErrors.join(' | '))
})
await browser.close()
console.log(failed ? `${failed} browser test(s) failed` : 'all browser tests passed')
process.exit(failed ? 1 : 0)
