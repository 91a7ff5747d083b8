/* store: the data model of docs/data-format.md, as tables of field definitions. Validation,
 * SQL, CSV and export are all driven by these tables. */
#include <string.h>

#include "store_int.h"
#include "banned.h"

static const char *const org_kinds[] = {"enterprise", "university", "institute", "lab",
					"pilot_platform", "investor", "agency", NULL};
static const char *const org_scales[] = {"micro", "small", "medium", "large", NULL};
static const char *const supply_kinds[] = {"achievement", "patent", "capability", "facility",
					   "expert", NULL};
static const char *const stages[] = {"lab", "concept", "pilot", "industrial", NULL};
static const char *const transfers[] = {"transfer", "license", "equity", "co_develop", "service",
					NULL};
static const char *const supply_status[] = {"active", "closed", NULL};
static const char *const visibilities[] = {"public", "members", "confidential", NULL};
static const char *const demand_status[] = {"open", "matched", "closed", NULL};
static const char *const challenge_status[] = {"draft", "open", "review", "awarded", "closed",
					       NULL};
static const char *const open_closed[] = {"open", "closed", NULL};
static const char *const chain_stages[] = {"upstream", "midstream", "downstream", NULL};
static const char *const relations[] = {"input_of", "part_of", NULL};
static const char *const org_roles[] = {"producer", "supplier", "research", "user", "service",
					NULL};
static const char *const match_stages[] = {"new", "contacted", "nda", "pilot", "validation",
					   "contract", "industrial", "declined", NULL};
/* where a match stood when a side declined it: where it goes back to when the side accepts */
static const char *const open_stages[] = {"new", "contacted", "nda", "pilot", "validation",
					  "contract", "industrial", NULL};
static const char *const verdicts[] = {"accept", "decline", NULL};
/* why a side declines a match (kc_match_reasons() gives their Chinese names) */
static const char *const decline_reasons[] = {"too_early", "wrong_field", "too_expensive",
					      "already_known", "capacity", "location", "ip_unclear",
					      "no_response", "other", NULL};
static const char *const user_roles[] = {"admin", "org_admin", "org_member", "reviewer", "viewer",
					 NULL};

#define ID {"id", "编号", KC_F_ID, KC_FF_REQUIRED | KC_FF_KEY, NULL, NULL, 0, 0, KC_LIMIT_ID, 0}
#define TEXT(n, zh, max, fl) {n, zh, KC_F_TEXT, fl, NULL, NULL, 0, 0, max, 0}
#define KEYWORDS {"keywords", "关键词", KC_F_TEXT, KC_FF_LIST, NULL, NULL, 0, 0, KC_LIMIT_KEYWORD, \
		  KC_LIMIT_KEYWORDS}
#define ENUM(n, zh, e, d, fl) {n, zh, KC_F_ENUM, fl, e, d, 0, 0, 0, 0}
#define ENUMS(n, zh, e) {n, zh, KC_F_ENUM, KC_FF_LIST, e, NULL, 0, 0, 0, KC_LIMIT_LIST}
#define REF(n, zh, e, fl) {n, zh, KC_F_REF, fl, NULL, NULL, e, 0, KC_LIMIT_ID, KC_LIMIT_LIST}
#define TYPED(n, zh, t, fl) {n, zh, t, fl, NULL, NULL, 0, 0, 0, KC_LIMIT_LIST}
#define INT(n, zh, lo, hi) {n, zh, KC_F_INT, 0, NULL, NULL, 0, lo, hi, 0}
#define STAMPS {"created_at", "创建时间", KC_F_DATETIME, KC_FF_AUTO, NULL, NULL, 0, 0, 0, 0}, \
	       {"updated_at", "更新时间", KC_F_DATETIME, KC_FF_AUTO, NULL, NULL, 0, 0, 0, 0}
#define REQ KC_FF_REQUIRED
#define LIST KC_FF_LIST

static const struct kc_field chain_fields[] = {
	ID,
	TEXT("name", "名称", KC_LIMIT_NAME, REQ),
	TEXT("name_en", "英文名称", KC_LIMIT_NAME, 0),
	TEXT("description", "简介", KC_LIMIT_LONGTEXT, 0),
	STAMPS,
};

static const struct kc_field node_fields[] = {
	ID,
	REF("chain_id", "所属产业链", KC_ENT_CHAIN, REQ),
	TEXT("name", "名称", KC_LIMIT_NAME, REQ),
	ENUM("stage", "环节", chain_stages, NULL, REQ),
	{"aliases", "别名", KC_F_TEXT, LIST, NULL, NULL, 0, 0, KC_LIMIT_NAME, KC_LIMIT_LIST},
	TYPED("industries", "行业", KC_F_INDUSTRY, LIST),
	TEXT("description", "简介", KC_LIMIT_LONGTEXT, 0),
	STAMPS,
};

static const struct kc_field edge_fields[] = {
	REF("from", "上游节点", KC_ENT_NODE, REQ | KC_FF_KEY),
	REF("to", "下游节点", KC_ENT_NODE, REQ | KC_FF_KEY),
	ENUM("relation", "关系", relations, "input_of", 0),
	TYPED("weight", "权重", KC_F_NUM, 0),
	STAMPS,
};

static const struct kc_field org_fields[] = {
	ID,
	TEXT("name", "名称", KC_LIMIT_NAME, REQ),
	TEXT("short_name", "简称", KC_LIMIT_NAME, 0),
	ENUM("kind", "机构类型", org_kinds, NULL, REQ),
	TYPED("region", "所在地区", KC_F_REGION, REQ),
	TYPED("industries", "行业", KC_F_INDUSTRY, LIST),
	KEYWORDS,
	ENUM("scale", "规模", org_scales, NULL, 0),
	TYPED("founded", "成立日期", KC_F_DATE, 0),
	TEXT("website", "网址", 500, 0),
	TEXT("description", "简介", KC_LIMIT_LONGTEXT, 0),
	STAMPS,
};

static const struct kc_field org_node_fields[] = {
	REF("org_id", "机构", KC_ENT_ORG, REQ | KC_FF_KEY),
	REF("node_id", "产业链节点", KC_ENT_NODE, REQ | KC_FF_KEY),
	ENUM("role", "角色", org_roles, NULL, REQ | KC_FF_KEY),
	TYPED("region", "地区", KC_F_REGION, 0),
	TYPED("region_inferred", "地区为推断", KC_F_BOOL, 0),
	{"share", "占比", KC_F_NUM, 0, NULL, NULL, 0, 0, 0, 0},
	STAMPS,
};

static const struct kc_field supply_fields[] = {
	ID,
	REF("org_id", "所属机构", KC_ENT_ORG, REQ),
	ENUM("kind", "供给类型", supply_kinds, NULL, REQ),
	TEXT("title", "名称", KC_LIMIT_TITLE, REQ),
	TEXT("description", "简介", KC_LIMIT_LONGTEXT, 0),
	KEYWORDS,
	TYPED("ipc", "专利分类号", KC_F_IPC, LIST),
	TYPED("industries", "行业", KC_F_INDUSTRY, LIST),
	REF("nodes", "产业链节点", KC_ENT_NODE, LIST),
	INT("trl", "技术就绪度", 1, 9),
	ENUM("stage", "成熟阶段", stages, NULL, 0),
	ENUMS("transfer", "转化方式", transfers),
	TYPED("price_min", "最低价格(万元)", KC_F_NUM, KC_FF_NONNEG),
	TYPED("price_max", "最高价格(万元)", KC_F_NUM, KC_FF_NONNEG),
	TYPED("region", "地区", KC_F_REGION, 0),
	TEXT("patent_no", "专利号", 50, 0),
	TYPED("published", "发布日期", KC_F_DATE, 0),
	ENUM("status", "状态", supply_status, "active", 0),
	STAMPS,
};

static const struct kc_field demand_fields[] = {
	ID,
	REF("org_id", "发布机构", KC_ENT_ORG, REQ),
	TEXT("title", "名称", KC_LIMIT_TITLE, REQ),
	TEXT("description", "需求描述", KC_LIMIT_LONGTEXT, 0),
	KEYWORDS,
	TYPED("ipc", "专利分类号", KC_F_IPC, LIST),
	TYPED("industries", "行业", KC_F_INDUSTRY, LIST),
	REF("nodes", "产业链节点", KC_ENT_NODE, LIST),
	TYPED("region", "地区", KC_F_REGION, 0),
	INT("trl_min", "期望技术就绪度", 1, 9),
	TYPED("budget_min", "最低预算(万元)", KC_F_NUM, KC_FF_NONNEG),
	TYPED("budget_max", "最高预算(万元)", KC_F_NUM, KC_FF_NONNEG),
	TYPED("deadline", "截止日期", KC_F_DATE, 0),
	ENUM("visibility", "可见性", visibilities, "public", 0),
	TYPED("published", "发布日期", KC_F_DATE, 0),
	ENUM("status", "状态", demand_status, "open", 0),
	STAMPS,
};

static const struct kc_field challenge_fields[] = {
	ID,
	REF("demand_id", "需求", KC_ENT_DEMAND, REQ),
	TEXT("title", "榜单名称", KC_LIMIT_TITLE, REQ),
	TEXT("description", "简介", KC_LIMIT_LONGTEXT, 0),
	TYPED("budget", "榜单金额(万元)", KC_F_NUM, KC_FF_NONNEG),
	TYPED("deadline", "截止日期", KC_F_DATE, 0),
	{"milestones", "里程碑", KC_F_TEXT, LIST, NULL, NULL, 0, 0, KC_LIMIT_TITLE, KC_LIMIT_LIST},
	ENUM("status", "状态", challenge_status, "open", 0),
	TYPED("published", "发布日期", KC_F_DATE, 0),
	STAMPS,
};

static const struct kc_field scenario_fields[] = {
	ID,
	REF("org_id", "开放机构", KC_ENT_ORG, REQ),
	TEXT("title", "场景名称", KC_LIMIT_TITLE, REQ),
	TEXT("description", "简介", KC_LIMIT_LONGTEXT, 0),
	TYPED("region", "地区", KC_F_REGION, 0),
	REF("nodes", "产业链节点", KC_ENT_NODE, LIST),
	TYPED("deadline", "截止日期", KC_F_DATE, 0),
	ENUM("status", "状态", open_closed, "open", 0),
	STAMPS,
};

static const struct kc_field match_fields[] = {
	ID,
	REF("demand_id", "需求", KC_ENT_DEMAND, REQ),
	REF("supply_id", "供给", KC_ENT_SUPPLY, REQ),
	TYPED("score", "得分", KC_F_NUM, 0),
	ENUM("stage", "对接阶段", match_stages, "new", 0),
	TEXT("reason", "原因", KC_LIMIT_TITLE, 0),
	TYPED("explanation", "解释", KC_F_OBJECT, 0),
	ENUM("demand_verdict", "需求方意见", verdicts, NULL, 0),
	ENUM("demand_reason", "需求方原因", decline_reasons, NULL, 0),
	ENUM("supply_verdict", "供给方意见", verdicts, NULL, 0),
	ENUM("supply_reason", "供给方原因", decline_reasons, NULL, 0),
	TEXT("feedback_note", "反馈说明", KC_LIMIT_TITLE, 0),
	ENUM("stage_before_decline", "谢绝前阶段", open_stages, NULL, 0),
	STAMPS,
};

static const struct kc_field user_fields[] = {
	ID,
	TEXT("name", "姓名", KC_LIMIT_NAME, REQ),
	TEXT("email", "邮箱", KC_LIMIT_NAME, 0),
	REF("org_id", "所属机构", KC_ENT_ORG, 0),
	ENUM("role", "角色", user_roles, NULL, REQ),
	STAMPS,
};

#define N(a) (unsigned)(sizeof(a) / sizeof((a)[0]))
static const struct kc_entity_def defs[KC_ENT_COUNT] = {
	{KC_ENT_CHAIN, "chain", "chains", "产业链", chain_fields, N(chain_fields), 1},
	{KC_ENT_NODE, "node", "nodes", "产业链节点", node_fields, N(node_fields), 1},
	{KC_ENT_EDGE, "edge", "edges", "节点关系", edge_fields, N(edge_fields), 0},
	{KC_ENT_ORG, "org", "orgs", "机构", org_fields, N(org_fields), 1},
	{KC_ENT_ORG_NODE, "org_node", "org_nodes", "机构在链", org_node_fields, N(org_node_fields),
	 0},
	{KC_ENT_SUPPLY, "supply", "supplies", "供给", supply_fields, N(supply_fields), 1},
	{KC_ENT_DEMAND, "demand", "demands", "需求", demand_fields, N(demand_fields), 1},
	{KC_ENT_CHALLENGE, "challenge", "challenges", "榜单", challenge_fields,
	 N(challenge_fields), 1},
	{KC_ENT_SCENARIO, "scenario", "scenarios", "应用场景", scenario_fields, N(scenario_fields),
	 1},
	{KC_ENT_MATCH, "match", "matches", "对接", match_fields, N(match_fields), 1},
	{KC_ENT_USER, "user", "users", "用户", user_fields, N(user_fields), 1},
};

const struct kc_entity_def *kc_entity_def(enum kc_entity ent)
{
	if ((unsigned)ent >= KC_ENT_COUNT)
		return NULL;
	return &defs[ent];
}

const struct kc_entity_def *kc_entity_find(const char *name)
{
	/* The first byte first: imports look up every record's type and every field. */
	for (unsigned i = 0; i < KC_ENT_COUNT; i++)
		if ((defs[i].name[0] == name[0] && strcmp(defs[i].name, name) == 0) ||
		    (defs[i].plural[0] == name[0] && strcmp(defs[i].plural, name) == 0))
			return &defs[i];
	return NULL;
}

const struct kc_field *kc__entity_field_next(const struct kc_entity_def *def, const char *name,
					     unsigned *hint)
{
	const struct kc_field *f = NULL;
	if (*hint < def->nfields && strcmp(def->fields[*hint].name, name) == 0)
		f = &def->fields[*hint];
	else
		f = kc_entity_field(def, name);
	if (f)
		*hint = (unsigned)(f - def->fields) + 1;
	return f;
}

const struct kc_field *kc_entity_field(const struct kc_entity_def *def, const char *name)
{
	for (unsigned i = 0; i < def->nfields; i++)
		if (def->fields[i].name[0] == name[0] && strcmp(def->fields[i].name, name) == 0)
			return &def->fields[i];
	return NULL;
}
