# fib(90) = 2880067194370816120 with 64-bit adds, in kernel/LLVM syntax.
    r0 = 0            # fib(i)
    r1 = 1            # fib(i+1)
    r2 = 90           # iterations left
loop:
    if r2 == 0 goto done
    r3 = r0
    r3 += r1
    r0 = r1
    r1 = r3
    r2 += -1
    goto loop
done:
    exit
