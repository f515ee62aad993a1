/*
 * A stand-in for Windows 10's bcryptprimitives.dll, which wine 8 lacks: Rust's std imports its
 * ProcessPrng for HashMap keys and the like. The bytes come from RtlGenRandom
 * (advapi32!SystemFunction036), wine's real CSPRNG; a failure is reported, never papered over.
 *
 *   x86_64-w64-mingw32-gcc -shared -O2 -s -o bcryptprimitives.dll processprng.c -ladvapi32
 */
#include <windows.h>

/* RtlGenRandom: declared in ntsecapi.h under a macro name, so declare it plainly. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
