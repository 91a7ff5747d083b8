/* kechan's stopword list: function words of Chinese and English that carry no topic. Kept
 * short on purpose: a word a demand or an achievement could be about (需求, 技术, 电池) is not
 * a stopword; matching weighs common words down by itself (BM25). Documented in docs/text.md. */
#include <stdlib.h>
#include <string.h>

#include "kechan/text.h"
#include "banned.h"

/* sorted by strcmp (bytes); the unit tests check the order */
static const char *const stopwords[] = {
	"a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
	"been", "before", "being", "between", "both", "but", "by", "can", "could", "did", "do",
	"does", "each", "etc", "for", "from", "had", "has", "have", "he", "her", "his", "how", "i",
	"if", "in", "into", "is", "it", "its", "may", "might", "more", "most", "must", "no", "nor",
	"not", "of", "on", "or", "other", "our", "over", "per", "she", "should", "so", "such",
	"than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
	"through", "to", "under", "up", "upon", "via", "was", "we", "were", "what", "when", "where",
	"which", "while", "who", "will", "with", "within", "would", "you", "your", "一个", "一些",
	"一种", "上", "下", "不", "与", "且", "个", "中", "为", "之", "也", "了", "于", "从", "他",
	"以", "以及", "们", "但", "但是", "何", "你", "使", "其", "其中", "内",
	"再", "到", "即", "却", "又", "及", "及其", "另", "只", "可", "可以", "各", "向", "吗",
	"吧", "呢", "和", "因为", "因此", "在", "地", "她", "如", "如果", "它", "对", "对于", "将",
	"就", "并", "并且", "很", "得", "我", "我们", "或", "或者", "所", "所以", "把", "是", "更",
	"最", "有", "此", "每", "然而", "的", "着", "等", "等等", "给", "而", "而且", "能", "自",
	"至", "若", "被", "要", "让", "该", "较", "还", "这", "这个", "这些", "这种", "通过", "那",
	"都",
};

static int cmp(const void *key, const void *elem)
{
	return strcmp((const char *)key, *(const char *const *)elem);
}

int kc_text_is_stopword(const char *term, size_t len)
{
	char key[64];
	if (len == 0 || len >= sizeof(key))
		return 0;
	memcpy(key, term, len);
	key[len] = 0;
	return bsearch(key, stopwords, sizeof(stopwords) / sizeof(stopwords[0]),
		       sizeof(stopwords[0]), cmp) != NULL;
}

/* For the unit tests: the table and its size. */
const char *const *kc__stopwords(size_t *n)
{
	*n = sizeof(stopwords) / sizeof(stopwords[0]);
	return stopwords;
}
