/* cli: `kechan chain ...`: industrial-chain panorama, regional coverage, gaps (补链), weak links
 * (强链), bottlenecks (卡脖子), disruption simulation and recruitment targets (精准招商); and
 * `kechan import chainkg DIR` (kc_cli_import_chainkg, dispatched from cmd_import.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kechan/chain.h"
#include "kechan/codes.h"
#include "cli.h"
#include "banned.h"

int kc_cli_chain(struct kc_cli *cli, int argc, char **argv);
int kc_cli_import_chainkg(struct kc_cli *cli, int argc, char **argv);

static const char help[] =
    "usage: kechan [--db PATH] [--json] chain <command> [options]\n\n"
    "commands:\n"
    "  list                           the chains with their nodes, edges and company links\n"
    "  show CHAIN                     panorama: nodes by stage and depth, companies per\n"
    "                                 province (--json: graph + sankey data for charts)\n"
    "  coverage CHAIN REGION          nodes present / thin / absent in a province or city\n"
    "  gaps CHAIN REGION              absent nodes ranked (补链) with reasons\n"
    "  weak CHAIN REGION              weak links (强链): few local companies, concentrated\n"
    "                                 supply elsewhere, far-away inputs\n"
    "  bottlenecks CHAIN [REGION]     卡脖子: dominator nodes, single-company and single-\n"
    "                                 province nodes, companies whose loss cuts the chain\n"
    "  simulate CHAIN [--org ID]... [--node ID]... [--region R]...\n"
    "                                 what breaks when these drop out; alternatives\n"
    "  recruit CHAIN REGION           精准招商: companies elsewhere filling the gaps\n"
    "  linkage CHAIN REGION           supplies and demands on the gaps and weak nodes\n"
    "  import-kg DIR                  same as 'kechan import chainkg DIR'\n\n"
    "REGION is a GB/T 2260 code (320000, 320500) or a name (江苏, 苏州市).\n"
    "options:\n"
    "  --limit N      items per ranked list (default 20; 0 = all)\n"
    "  --thin N       1..N local companies make a node thin (default 2)\n"
    "  --far KM       inputs farther than KM are far away (default 800)\n"
    "  --all          gaps/recruit: include nodes no company supplies anywhere\n"
    "  --csv          CSV instead of a table (--json: the full result)\n\n"
    "exit codes: 0 ok, 1 usage error or unknown chain/region, 2 data error, 3 internal\n";

struct args {
	const char *chain;
	const char *region_s;
	uint32_t region;
	struct kc_chain_opts opts;
	int csv;
	const char **orgs, **nodes;
	uint32_t *regions;
	size_t norgs, nnodes, nregions;
};

/* Parses a region code or name; prints the error itself. Returns 0 or 1. */
static int parse_region(const char *cmd, const char *s, uint32_t *out)
{
	uint32_t code = kc_region_parse(s, strlen(s));
	if (code && kc_region_get(code)) {
		*out = code;
		return 0;
	}
	const struct kc_region *r = NULL;
	int n = kc_region_find(s, strlen(s), &r);
	if (n <= 0 || r == NULL)
		return kc_cli_usage_error(cmd, "unknown region '%s' (a 6-digit code or a name)", s);
	if (n > 1)
		fprintf(stderr, "kechan chain: '%s' names %d divisions; using %s %06u\n", s, n,
		        r->name, (unsigned)r->code);
	*out = r->code;
	return 0;
}

static int num_opt(const char *cmd, const char *name, const char *val, double lo, double *out)
{
	char *end = NULL;
	double v = val ? strtod(val, &end) : 0;
	*out = 0;
	if (val == NULL || *end || v < lo)
		return kc_cli_usage_error(cmd, "%s needs a number >= %g", name, lo);
	*out = v;
	return 0;
}

/* ---- output helpers ---- */

static const char *s_of(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void reasons_text(const json_t *item, struct kc_buf *b)
{
	size_t i;
	const json_t *r;
	kc_buf_reset(b);
	json_array_foreach (json_object_get(item, "reasons"), i, r) {
		if (i)
			kc_buf_adds(b, "；");
		kc_buf_adds(b, s_of(r, "text"));
	}
}

/* A column: key in the item (dotted "region.name" for one level), header, width; kind 's'
 * string, 'i' integer, 'f' number (2 decimals), 'r' the reasons. */
struct col {
	const char *key, *head;
	size_t width;
	char kind;
};

static const json_t *field(const json_t *item, const char *key)
{
	const char *dot = strchr(key, '.');
	if (dot == NULL)
		return json_object_get(item, key);
	char first[64];
	snprintf(first, sizeof(first), "%.*s", (int)(dot - key), key);
	return json_object_get(json_object_get(item, first), dot + 1);
}

static void cell_text(const json_t *item, const struct col *c, struct kc_buf *b)
{
	kc_buf_reset(b);
	const json_t *v = field(item, c->key);
	if (c->kind == 'r')
		reasons_text(item, b);
	else if (json_is_string(v))
		kc_buf_adds(b, json_string_value(v));
	else if (json_is_integer(v))
		kc_buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_number(v))
		kc_buf_addf(b, "%.2f", json_number_value(v));
	else if (json_is_true(v))
		kc_buf_adds(b, "yes");
	else if (json_is_false(v))
		kc_buf_adds(b, "no");
}

static void csv_cell(const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, stdout);
		return;
	}
	fputc('"', stdout);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', stdout);
		fputc(*s, stdout);
	}
	fputc('"', stdout);
}

static void print_rows(const json_t *list, const struct col *cols, size_t ncols, int csv)
{
	struct kc_buf b = KC_BUF_INIT;
	size_t i;
	const json_t *item;
	/* CSV rows lead with the item's id when the table does not show it. */
	int csv_id = csv && strcmp(cols[0].key, "id") != 0;
	if (csv_id)
		fputs("id,", stdout);
	for (size_t c = 0; c < ncols; c++) {
		if (csv) {
			if (c)
				fputc(',', stdout);
			fputs(cols[c].key, stdout);
		} else {
			if (c)
				fputs("  ", stdout);
			if (cols[c].kind == 'r')
				fputs(cols[c].head, stdout);
			else
				kc_cli_cell(stdout, cols[c].head, cols[c].width);
		}
	}
	fputc('\n', stdout);
	json_array_foreach (list, i, item) {
		if (csv_id) {
			csv_cell(s_of(item, "id"));
			fputc(',', stdout);
		}
		for (size_t c = 0; c < ncols; c++) {
			cell_text(item, &cols[c], &b);
			if (csv) {
				if (c)
					fputc(',', stdout);
				csv_cell(kc_buf_cstr(&b));
			} else {
				if (c)
					fputs("  ", stdout);
				if (cols[c].kind == 'r')
					fputs(kc_buf_cstr(&b), stdout);
				else
					kc_cli_cell(stdout, kc_buf_cstr(&b), cols[c].width);
			}
		}
		fputc('\n', stdout);
	}
	kc_buf_release(&b);
}

static void title(const json_t *res, const char *what)
{
	const json_t *c = json_object_get(res, "chain"), *r = json_object_get(res, "region");
	printf("%s %s (%s)", what, s_of(c, "name"), s_of(c, "id"));
	if (json_is_object(r))
		printf(" — %s %s", s_of(r, "fullname"), s_of(r, "code"));
	printf("\n");
}

/* ---- the subcommands ---- */

static int out_list(const json_t *res, int csv)
{
	static const struct col cols[] = {{"id", "id", 16, 's'},
	                                  {"name", "名称 name", 28, 's'},
	                                  {"nodes", "节点", 7, 'i'},
	                                  {"edges", "关系", 7, 'i'},
	                                  {"links", "企业关联", 8, 'i'}};
	print_rows(res, cols, 5, csv);
	return 0;
}

static int out_show(const json_t *res, const struct args *a)
{
	const json_t *s = json_object_get(res, "summary");
	if (a->csv) {
		static const struct col cols[] = {{"id", "", 0, 's'},        {"name", "", 0, 's'},
		                                  {"stage", "", 0, 's'},     {"depth", "", 0, 'i'},
		                                  {"companies", "", 0, 'i'}, {"inputs", "", 0, 'i'},
		                                  {"outputs", "", 0, 'i'}};
		print_rows(json_object_get(res, "nodes"), cols, 7, 1);
		return 0;
	}
	title(res, "全景 panorama");
	printf("%" JSON_INTEGER_FORMAT " nodes, %" JSON_INTEGER_FORMAT
	       " links, depth 0..%" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT
	       " edges to other chains\n",
	       json_integer_value(json_object_get(s, "nodes")),
	       json_integer_value(json_object_get(s, "links")),
	       json_integer_value(json_object_get(s, "max_depth")),
	       json_integer_value(json_object_get(s, "external_edges")));
	static const char *const stages[] = {"upstream", "midstream", "downstream"};
	static const char *const zh[] = {"上游", "中游", "下游"};
	int limit = a->opts.limit == 0 ? 20 : a->opts.limit;
	for (int st = 0; st < 3; st++) {
		/* Nodes of this stage by depth, then by companies (most first). */
		const json_t *nodes = json_object_get(res, "nodes");
		size_t n = json_array_size(nodes), cnt = 0;
		const json_t **v = calloc(n ? n : 1, sizeof(*v));
		if (v == NULL)
			return 3;
		for (size_t i = 0; i < n; i++)
			if (strcmp(s_of(json_array_get(nodes, i), "stage"), stages[st]) == 0)
				v[cnt++] = json_array_get(nodes, i);
		for (size_t i = 1; i < cnt; i++)
			for (size_t j = i; j > 0; j--) {
				json_int_t d0 =
				    json_integer_value(json_object_get(v[j - 1], "depth"));
				json_int_t d1 = json_integer_value(json_object_get(v[j], "depth"));
				json_int_t c0 =
				    json_integer_value(json_object_get(v[j - 1], "companies"));
				json_int_t c1 =
				    json_integer_value(json_object_get(v[j], "companies"));
				if (d1 < d0 || (d1 == d0 && c1 > c0)) {
					const json_t *t = v[j];
					v[j] = v[j - 1];
					v[j - 1] = t;
				} else {
					break;
				}
			}
		printf("\n%s %s (%zu)\n", zh[st], stages[st], cnt);
		printf("  depth  ");
		kc_cli_cell(stdout, "环节 node", 28);
		printf("  企业  主要省份 provinces\n");
		for (size_t i = 0; i < cnt && (limit < 0 || i < (size_t)limit); i++) {
			printf("  %5" JSON_INTEGER_FORMAT "  ",
			       json_integer_value(json_object_get(v[i], "depth")));
			kc_cli_cell(stdout, s_of(v[i], "name"), 28);
			printf("  %4" JSON_INTEGER_FORMAT "  ",
			       json_integer_value(json_object_get(v[i], "companies")));
			size_t k;
			const json_t *r;
			json_array_foreach (json_object_get(v[i], "regions"), k, r) {
				if (k == 3) {
					printf(" …");
					break;
				}
				printf("%s%s %" JSON_INTEGER_FORMAT, k ? "，" : "", s_of(r, "name"),
				       json_integer_value(json_object_get(r, "companies")));
			}
			printf("\n");
		}
		if (limit >= 0 && cnt > (size_t)limit)
			printf("  … %zu more (--limit 0 shows all)\n", cnt - (size_t)limit);
		free(v);
	}
	return 0;
}

static int out_coverage(const json_t *res, const struct args *a)
{
	static const struct col cols[] = {{"name", "环节 node", 24, 's'},
	                                  {"stage", "stage", 10, 's'},
	                                  {"status", "status", 10, 's'},
	                                  {"local", "本地", 4, 'i'},
	                                  {"national", "全国", 4, 'i'}};
	if (a->csv) {
		static const struct col ccols[] = {
		    {"id", "", 0, 's'},       {"name", "", 0, 's'},       {"stage", "", 0, 's'},
		    {"depth", "", 0, 'i'},    {"status", "", 0, 's'},     {"local", "", 0, 'i'},
		    {"national", "", 0, 'i'}, {"local_users", "", 0, 'i'}};
		print_rows(json_object_get(res, "nodes"), ccols, 8, 1);
		return 0;
	}
	const json_t *s = json_object_get(res, "summary");
	title(res, "覆盖 coverage");
	printf("%" JSON_INTEGER_FORMAT " nodes: present %" JSON_INTEGER_FORMAT
	       ", thin %" JSON_INTEGER_FORMAT " (1..%" JSON_INTEGER_FORMAT
	       " local companies), absent %" JSON_INTEGER_FORMAT
	       ", no supplier anywhere %" JSON_INTEGER_FORMAT
	       "; coverage %.0f%% of the supplied nodes\n",
	       json_integer_value(json_object_get(s, "nodes")),
	       json_integer_value(json_object_get(s, "present")),
	       json_integer_value(json_object_get(s, "thin")),
	       json_integer_value(json_object_get(res, "thin_max")),
	       json_integer_value(json_object_get(s, "absent")),
	       json_integer_value(json_object_get(s, "unsupplied")),
	       100.0 * json_number_value(json_object_get(s, "coverage")));
	const char *k;
	const json_t *v;
	json_object_foreach ((json_t *)json_object_get(s, "by_stage"), k, v) {
		printf("  %-10s present %3" JSON_INTEGER_FORMAT "  thin %3" JSON_INTEGER_FORMAT
		       "  absent %3" JSON_INTEGER_FORMAT "  unsupplied %3" JSON_INTEGER_FORMAT "\n",
		       k, json_integer_value(json_object_get(v, "present")),
		       json_integer_value(json_object_get(v, "thin")),
		       json_integer_value(json_object_get(v, "absent")),
		       json_integer_value(json_object_get(v, "unsupplied")));
	}
	/* The nodes that matter for a region: present, thin and absent (not unsupplied). */
	json_t *show = json_array();
	size_t i;
	const json_t *it;
	int limit = a->opts.limit == 0 ? 20 : a->opts.limit, shown = 0, more = 0;
	json_array_foreach (json_object_get(res, "nodes"), i, it) {
		if (strcmp(s_of(it, "status"), "unsupplied") == 0)
			continue;
		if (limit >= 0 && shown >= limit) {
			more++;
			continue;
		}
		json_array_append(show, (json_t *)it);
		shown++;
	}
	printf("\n");
	print_rows(show, cols, 5, 0);
	if (more)
		printf("… %d more (--limit 0 shows all)\n", more);
	json_decref(show);
	return 0;
}

static int out_ranked(const json_t *res, const struct args *a, const char *what, const char *list,
                      const struct col *cols, size_t ncols)
{
	if (!a->csv) {
		title(res, what);
		printf("%" JSON_INTEGER_FORMAT " ranked, showing %zu\n",
		       json_integer_value(json_object_get(res, "total")),
		       json_array_size(json_object_get(res, list)));
	}
	print_rows(json_object_get(res, list), cols, ncols, a->csv);
	return 0;
}

static int out_bottlenecks(const json_t *res, const struct args *a)
{
	static const struct col ncols[] = {
	    {"rank", "#", 3, 'i'},         {"name", "环节 node", 20, 's'},
	    {"dominated", "支配", 5, 'i'}, {"national", "企业", 4, 'i'},
	    {"provinces", "省份", 4, 'i'}, {"reasons", "理由 reasons", 0, 'r'}};
	static const struct col ocols[] = {
	    {"rank", "#", 3, 'i'},           {"name", "企业 company", 28, 's'},
	    {"region.name", "地区", 8, 's'}, {"sole_nodes", "独供", 4, 'i'},
	    {"affected", "影响", 5, 'i'},    {"reasons", "理由 reasons", 0, 'r'}};
	if (a->csv) {
		print_rows(json_object_get(res, "nodes"), ncols, 6, 1);
		return 0;
	}
	const json_t *s = json_object_get(res, "summary");
	title(res, "卡脖子 bottlenecks");
	printf("%" JSON_INTEGER_FORMAT " nodes with one supplier, %" JSON_INTEGER_FORMAT
	       " with all suppliers in one province, %" JSON_INTEGER_FORMAT
	       " companies that alone supply a node\n\n",
	       json_integer_value(json_object_get(s, "single_company_nodes")),
	       json_integer_value(json_object_get(s, "single_region_nodes")),
	       json_integer_value(json_object_get(s, "critical_companies")));
	print_rows(json_object_get(res, "nodes"), ncols, 6, 0);
	printf("\n");
	print_rows(json_object_get(res, "companies"), ocols, 6, 0);
	return 0;
}

static int out_simulate(const json_t *res, const struct args *a)
{
	static const struct col lcols[] = {{"name", "断供环节 lost", 24, 's'},
	                                   {"stage", "stage", 10, 's'},
	                                   {"suppliers_before", "原企业", 6, 'i'},
	                                   {"reasons", "理由 reasons", 0, 'r'}};
	if (a->csv) {
		print_rows(json_object_get(res, "lost"), lcols, 4, 1);
		return 0;
	}
	const json_t *s = json_object_get(res, "summary");
	title(res, "断链模拟 disruption");
	printf("lost %" JSON_INTEGER_FORMAT " nodes, degraded %" JSON_INTEGER_FORMAT
	       ", %" JSON_INTEGER_FORMAT " more downstream affected: %.1f%% of the chain\n",
	       json_integer_value(json_object_get(s, "lost")),
	       json_integer_value(json_object_get(s, "degraded")),
	       json_integer_value(json_object_get(s, "affected_downstream")),
	       100.0 * json_number_value(json_object_get(s, "affected_share")));
	size_t i;
	const json_t *u;
	json_array_foreach (json_object_get(res, "unknown"), i, u) {
		printf("note: %s%s not on this chain\n", s_of(u, "org"), s_of(u, "node"));
	}
	if (json_array_size(json_object_get(res, "lost"))) {
		printf("\n");
		print_rows(json_object_get(res, "lost"), lcols, 4, 0);
	}
	const json_t *d;
	json_array_foreach (json_object_get(res, "degraded"), i, d) {
		if (i == 0)
			printf("\n减供环节 degraded: suppliers before → after; alternatives\n");
		printf("  %s %" JSON_INTEGER_FORMAT " → %" JSON_INTEGER_FORMAT ":", s_of(d, "name"),
		       json_integer_value(json_object_get(d, "suppliers_before")),
		       json_integer_value(json_object_get(d, "suppliers_after")));
		size_t k;
		const json_t *alt;
		json_array_foreach (json_object_get(d, "alternatives"), k, alt) {
			printf("%s %s (%s)", k ? "，" : "", s_of(alt, "name"),
			       s_of(json_object_get(alt, "region"), "name"));
		}
		printf("\n");
	}
	return 0;
}

static int out_linkage(const json_t *res, const struct args *a)
{
	static const struct col cols[] = {
	    {"name", "环节 node", 24, 's'}, {"kind", "kind", 5, 's'}, {"score", "score", 5, 'f'}};
	if (a->csv) {
		print_rows(json_object_get(res, "nodes"), cols, 3, 1);
		return 0;
	}
	title(res, "创新联动 linkage");
	size_t i;
	const json_t *n;
	json_array_foreach (json_object_get(res, "nodes"), i, n) {
		const json_t *sup = json_object_get(n, "supplies"),
		             *dem = json_object_get(n, "demands");
		printf("%s [%s] %zu supplies, %zu demands\n", s_of(n, "name"), s_of(n, "kind"),
		       json_array_size(sup), json_array_size(dem));
		size_t k;
		const json_t *x;
		json_array_foreach (sup, k, x) {
			printf("  供给 %s %s\n", s_of(x, "id"), s_of(x, "title"));
		}
		json_array_foreach (dem, k, x) {
			printf("  需求 %s %s%s\n", s_of(x, "id"), s_of(x, "title"),
			       json_is_true(json_object_get(x, "local")) ? " (本地)" : "");
		}
	}
	return 0;
}

static int parse_args(const char *cmd, int argc, char **argv, int first, struct args *a,
                      int want_region, int simulate)
{
	const char *val = NULL;
	for (int i = first; i < argc; i++) {
		double d = 0;
		if (kc_cli_opt(argc, argv, &i, "--limit", &val)) {
			if (num_opt(cmd, "--limit", val, 0, &d))
				return 1;
			a->opts.limit = d == 0 ? -1 : (int)d;
		} else if (kc_cli_opt(argc, argv, &i, "--thin", &val)) {
			if (num_opt(cmd, "--thin", val, 1, &d))
				return 1;
			a->opts.thin = (int)d;
		} else if (kc_cli_opt(argc, argv, &i, "--far", &val)) {
			if (num_opt(cmd, "--far", val, 1, &d))
				return 1;
			a->opts.far_km = d;
		} else if (strcmp(argv[i], "--all") == 0) {
			a->opts.include_unsupplied = 1;
		} else if (strcmp(argv[i], "--csv") == 0) {
			a->csv = 1;
		} else if (simulate && kc_cli_opt(argc, argv, &i, "--org", &val)) {
			if (val == NULL)
				return 1;
			a->orgs[a->norgs++] = val;
		} else if (simulate && kc_cli_opt(argc, argv, &i, "--node", &val)) {
			if (val == NULL)
				return 1;
			a->nodes[a->nnodes++] = val;
		} else if (simulate && kc_cli_opt(argc, argv, &i, "--region", &val)) {
			if (val == NULL || parse_region(cmd, val, &a->regions[a->nregions]))
				return 1;
			a->nregions++;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return kc_cli_usage_error(cmd, "unknown option '%s'", argv[i]);
		} else if (a->chain == NULL) {
			a->chain = argv[i];
		} else if (want_region && a->region_s == NULL) {
			a->region_s = argv[i];
		} else {
			return kc_cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
		}
	}
	if (a->chain == NULL)
		return kc_cli_usage_error(cmd, "missing CHAIN (see 'kechan chain list')");
	if (want_region == 2 && a->region_s == NULL)
		return kc_cli_usage_error(cmd, "missing REGION (a code such as 320000 or a name)");
	if (a->region_s && parse_region(cmd, a->region_s, &a->region))
		return 1;
	return 0;
}

int kc_cli_import_chainkg(struct kc_cli *cli, int argc, char **argv)
{
	const char *dir = NULL;
	int progress = 1;
	for (int i = 2; i < argc; i++) {
		if (kc_cli_is_help(argv[i])) {
			printf(
			    "usage: kechan [--db PATH] import chainkg [--no-progress] DIR\n\n"
			    "Imports the industrial-chain knowledge graph (company.json, "
			    "product.json, ...;\nsee docs/chain.md) in one transaction and reports "
			    "what it could not map.\n");
			return 0;
		} else if (strcmp(argv[i], "--no-progress") == 0) {
			progress = 0;
		} else if (argv[i][0] == '-') {
			return kc_cli_usage_error("import chainkg", "unknown option '%s'", argv[i]);
		} else if (dir == NULL) {
			dir = argv[i];
		} else {
			return kc_cli_usage_error("import chainkg", "one DIR at a time");
		}
	}
	if (dir == NULL)
		return kc_cli_usage_error("import chainkg", "missing DIR");
	struct kc_store *st = NULL;
	int existed = access(cli->db, F_OK) == 0;
	int rc = kc_cli_open(cli, 1, &st);
	if (rc)
		return rc;
	struct kc_err err = KC_ERR_INIT;
	struct kc_import_opts opts = {cli->actor, 100, progress, NULL};
	struct kc_chainkg_report r;
	rc = kc_chain_import_kg(st, dir, &opts, &r, &err);
	kc_store_close(st);
	if (rc < 0) {
		if (!existed) {
			char side[4096];
			const char *suffixes[] = {"", "-wal", "-shm"};
			for (int k = 0; k < 3; k++) {
				snprintf(side, sizeof(side), "%s%s", cli->db, suffixes[k]);
				unlink(side);
			}
		}
		return kc_cli_fail(&err);
	}
	if (cli->json) {
		json_t *j = json_pack(
		    "{s:{s:I,s:I,s:I,s:I,s:I},s:{s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
		    "s:I,s:I},s:f}",
		    "imported", "chains", (json_int_t)r.chains, "nodes", (json_int_t)r.nodes,
		    "edges", (json_int_t)r.edges, "orgs", (json_int_t)r.orgs, "org_nodes",
		    (json_int_t)r.org_nodes, "companies", "rows", (json_int_t)r.companies,
		    "region_inferred", (json_int_t)r.companies_region, "no_region",
		    (json_int_t)r.companies_no_region, "not_mapped", "duplicate_codes",
		    (json_int_t)r.duplicate_codes, "self_loops", (json_int_t)r.self_loops,
		    "duplicate_edges", (json_int_t)r.duplicate_edges, "products_unlinked",
		    (json_int_t)r.products_unlinked, "links_no_company",
		    (json_int_t)r.links_no_company, "links_duplicate",
		    (json_int_t)r.links_duplicate, "shares_dropped", (json_int_t)r.shares_dropped,
		    "bad_lines", (json_int_t)r.bad_lines, "cross_chain_edges",
		    (json_int_t)r.cross_chain_edges, "seconds", r.seconds);
		rc = kc_cli_print_json(j);
		json_decref(j);
		return rc;
	}
	printf("imported chainkg in %.1f s: %" PRId64 " chains, %" PRId64 " nodes, %" PRId64
	       " edges (%" PRId64 " between chains), %" PRId64 " orgs, %" PRId64 " org_nodes\n",
	       r.seconds, r.chains, r.nodes, r.edges, r.cross_chain_edges, r.orgs, r.org_nodes);
	printf("companies: %" PRId64 " rows, %" PRId64 " with a region inferred from the name "
	       "(marked region_inferred), %" PRId64 " without one (left out), %" PRId64
	       " repeated stock codes (first kept)\n",
	       r.companies, r.companies_region, r.companies_no_region, r.duplicate_codes);
	printf("not mapped: %" PRId64 " self-loops, %" PRId64 " repeated relations, %" PRId64
	       " products linked to no company, %" PRId64 " product links of unknown or "
	       "region-less companies, %" PRId64 " repeated company-product pairs, %" PRId64
	       " bad lines; %" PRId64 " weights outside (0, 1] kept without a share\n",
	       r.self_loops, r.duplicate_edges, r.products_unlinked, r.links_no_company,
	       r.links_duplicate, r.bad_lines, r.shares_dropped);
	return 0;
}

int kc_cli_chain(struct kc_cli *cli, int argc, char **argv)
{
	if (argc < 2 || kc_cli_is_help(argv[1])) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	const char *sub = argv[1];
	for (int i = 2; i < argc; i++)
		if (kc_cli_is_help(argv[i])) {
			fputs(help, stdout);
			return 0;
		}
	if (strcmp(sub, "import-kg") == 0) {
		/* argv[1] plays "chainkg" for the import's parser. */
		return kc_cli_import_chainkg(cli, argc, argv);
	}
	struct args a;
	memset(&a, 0, sizeof(a));
	const char *list_orgs[64], *list_nodes[64];
	uint32_t list_regions[64];
	a.orgs = list_orgs;
	a.nodes = list_nodes;
	a.regions = list_regions;
	if (argc > 64 + 2)
		return kc_cli_usage_error("chain", "too many arguments");
	struct kc_store *st = NULL;
	struct kc_chain *c = NULL;
	struct kc_err err = KC_ERR_INIT;
	json_t *res = NULL;
	int rc;
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "chain %s", sub);
	if (strcmp(sub, "list") == 0) {
		if (argc > 2 && strcmp(argv[2], "--csv") == 0)
			a.csv = 1;
		else if (argc > 2)
			return kc_cli_usage_error(cmd, "unexpected argument '%s'", argv[2]);
		if ((rc = kc_cli_open(cli, 0, &st)) != 0)
			return rc;
		rc = kc_chain_list(st, &res, &err);
		if (rc >= 0)
			rc = cli->json ? kc_cli_print_json(res) : out_list(res, a.csv);
		goto done;
	}
	int want = 0, sim = 0;
	if (strcmp(sub, "show") == 0)
		want = 0;
	else if (strcmp(sub, "coverage") == 0 || strcmp(sub, "gaps") == 0 ||
	         strcmp(sub, "weak") == 0 || strcmp(sub, "recruit") == 0 ||
	         strcmp(sub, "linkage") == 0)
		want = 2;
	else if (strcmp(sub, "bottlenecks") == 0)
		want = 1;
	else if (strcmp(sub, "simulate") == 0)
		sim = 1;
	else
		return kc_cli_usage_error("chain", "unknown command '%s'", sub);
	if (parse_args(cmd, argc, argv, 2, &a, want, sim))
		return 1;
	if ((rc = kc_cli_open(cli, 0, &st)) != 0)
		return rc;
	rc = kc_chain_load(st, a.chain, &c, &err);
	if (rc < 0) {
		if (rc == KC_ENOTFOUND)
			rc = KC_EINVAL; /* a user's mistake: exit 1 */
		err.code = rc;
		goto done;
	}
	static const struct col gcols[] = {{"rank", "#", 3, 'i'},
	                                   {"name", "缺失环节 gap", 20, 's'},
	                                   {"stage", "stage", 10, 's'},
	                                   {"score", "score", 5, 'f'},
	                                   {"reach", "下游", 4, 'i'},
	                                   {"national", "全国", 4, 'i'},
	                                   {"reasons", "理由 reasons", 0, 'r'}};
	static const struct col wcols[] = {{"rank", "#", 3, 'i'},
	                                   {"name", "薄弱环节 weak", 20, 's'},
	                                   {"stage", "stage", 10, 's'},
	                                   {"score", "score", 5, 'f'},
	                                   {"local", "本地", 4, 'i'},
	                                   {"national", "全国", 4, 'i'},
	                                   {"reasons", "理由 reasons", 0, 'r'}};
	static const struct col rcols[] = {{"rank", "#", 3, 'i'},
	                                   {"name", "企业 company", 26, 's'},
	                                   {"region.name", "地区", 8, 's'},
	                                   {"gaps", "补", 3, 'i'},
	                                   {"weak", "强", 3, 'i'},
	                                   {"score", "score", 5, 'f'},
	                                   {"reasons", "理由 reasons", 0, 'r'}};
	if (strcmp(sub, "show") == 0)
		rc = kc_chain_panorama(c, &a.opts, &res, &err);
	else if (strcmp(sub, "coverage") == 0)
		rc = kc_chain_coverage(c, a.region, &a.opts, &res, &err);
	else if (strcmp(sub, "gaps") == 0)
		rc = kc_chain_gaps(c, a.region, &a.opts, &res, &err);
	else if (strcmp(sub, "weak") == 0)
		rc = kc_chain_weak(c, a.region, &a.opts, &res, &err);
	else if (strcmp(sub, "bottlenecks") == 0)
		rc = kc_chain_bottlenecks(c, a.region, &a.opts, &res, &err);
	else if (strcmp(sub, "recruit") == 0)
		rc = kc_chain_recruit(c, a.region, &a.opts, &res, &err);
	else if (strcmp(sub, "linkage") == 0)
		rc = kc_chain_linkage(st, c, a.region, &a.opts, &res, &err);
	else {
		struct kc_chain_removal rm = {a.orgs,   a.norgs,   a.nodes,
		                              a.nnodes, a.regions, a.nregions};
		rc = kc_chain_simulate(c, &rm, &a.opts, &res, &err);
	}
	if (rc < 0)
		goto done;
	if (cli->json)
		rc = kc_cli_print_json(res);
	else if (strcmp(sub, "show") == 0)
		rc = out_show(res, &a);
	else if (strcmp(sub, "coverage") == 0)
		rc = out_coverage(res, &a);
	else if (strcmp(sub, "gaps") == 0)
		rc = out_ranked(res, &a, "补链 gaps", "gaps", gcols, 7);
	else if (strcmp(sub, "weak") == 0)
		rc = out_ranked(res, &a, "强链 weak links", "weak", wcols, 7);
	else if (strcmp(sub, "bottlenecks") == 0)
		rc = out_bottlenecks(res, &a);
	else if (strcmp(sub, "recruit") == 0)
		rc = out_ranked(res, &a, "精准招商 recruitment targets", "targets", rcols, 7);
	else if (strcmp(sub, "linkage") == 0)
		rc = out_linkage(res, &a);
	else
		rc = out_simulate(res, &a);
done:
	if (rc < 0)
		rc = kc_cli_fail(&err);
	json_decref(res);
	kc_chain_free(c);
	kc_store_close(st);
	return rc;
}
