#include <stdio.h>
int main(void) { puts("kechan"); return 0; }
