import torch, time
def t(fn, n=20):
    for _ in range(3): fn()
    torch.cuda.synchronize(); s=torch.cuda.Event(enable_timing=True); e=torch.cuda.Event(enable_timing=True)
    s.record()
    for _ in range(n): fn()
    e.record(); torch.cuda.synchronize(); return s.elapsed_time(e)/n
for dt in (torch.float32, torch.float16):
  for L in (16384, 131072):
    cap=L+64
    k=torch.randn(1,8,cap,128,device='cuda',dtype=dt); v=torch.randn_like(k)
    kv=k[:,:,:L]; vv=v[:,:,:L]
    q=torch.randn(1,8,2,128,device='cuda',dtype=dt)
    kt=kv.transpose(2,3)
    sc=q@kt
    pr=torch.softmax(sc.float(),-1).to(dt)
    r={}
    r['qk']=t(lambda: q@kt)
    r['softmax']=t(lambda: torch.softmax(sc.float(),-1).to(dt))
    r['pv']=t(lambda: pr@vv)
    for nc in (16,64,256):
        lc=L//nc
        def f():
            p5=pr.reshape(1,8,2,nc,lc).transpose(2,3)          # (1,8,nc,2,lc)
            v5=vv.reshape(1,8,nc,lc,128)                        # view? (strided slice of cap)
            return (p5@v5).sum(2)
        r[f'pv_split{nc}']=t(f)
    r['sdpa']=t(lambda: torch.nn.functional.scaled_dot_product_attention(q, kv.repeat_interleave(1,1) if False else kv.expand(1,8,L,128), vv, enable_gqa=False))
    print(dt, L, {k_: round(x,3) for k_,x in r.items()}, flush=True)
