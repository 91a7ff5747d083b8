/* core internals shared with tests. */
#ifndef KC_CORE_INT_H
#define KC_CORE_INT_H

/* Makes the nth allocation from now fail (n > 0); 0 turns it off. Tests only. */
void kc__alloc_fail_after(long n);

#endif
