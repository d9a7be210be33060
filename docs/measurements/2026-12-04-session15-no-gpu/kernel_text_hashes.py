# Prints each kernel's sm_90 machine code as a hash, keyed by the kernel's name without its
# anonymous-namespace file hash, from a cubin (nvcc -O3 -arch=sm_90 -cubin F.cu -o F.cubin): a
# refactor of a .cu file that leaves every hash as it was leaves every kernel as it was.
# Usage: python3 kernel_text_hashes.py F.cubin
import hashlib, re, struct, sys
data = open(sys.argv[1], 'rb').read()
shoff, = struct.unpack_from('<Q', data, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3A)
secs = []
for i in range(shnum):
    name, typ, flags, addr, off, size = struct.unpack_from('<IIQQQQ', data, shoff + i * shentsize)
    secs.append((name, off, size))
stroff = secs[shstrndx][1]
def sname(n):
    end = data.index(b'\0', stroff + n)
    return data[stroff + n:end].decode()
for name, off, size in secs:
    s = sname(name)
    if s.startswith('.text.'):
        key = re.sub(r'_GLOBAL__N__[0-9a-f]+_\d+_\w+?_cu_[0-9a-f]+', 'ANON', s)
        print(key[:160], size, hashlib.sha256(data[off:off + size]).hexdigest()[:16])
