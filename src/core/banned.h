/* Functions that are easy to misuse; using one is a compile error. Included by every source
 * file of kechan after the system headers. Use kc_buf, snprintf, strtol instead. */
#ifndef KC_BANNED_H
#define KC_BANNED_H

#define KC_BANNED(func) sorry_##func##_is_banned_in_kechan

#undef strcpy
#define strcpy(x, y) KC_BANNED(strcpy)
#undef strcat
#define strcat(x, y) KC_BANNED(strcat)
#undef sprintf
#define sprintf(...) KC_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) KC_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) KC_BANNED(strtok)
#undef atoi
#define atoi(x) KC_BANNED(atoi)
#undef gets
#define gets(x) KC_BANNED(gets)

#endif
