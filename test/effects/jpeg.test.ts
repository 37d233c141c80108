import { describe, expect, it } from 'vitest';
import { jpegRoundTrip, quantTable } from '../../src/effects/jpeg.js';
import { equalBytes, flat, meanAbsDiff, natural } from './images.js';

/** The image the reference round trips below were made from. */
function testImage(w: number, h: number): Uint8Array {
  const a = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 3 * (y * w + x);
      a[i] = x < w / 2 ? 200 : 40;
      a[i + 1] = (x * 9 + y * 5) % 256;
      a[i + 2] = Math.round(128 + 100 * Math.sin(x * 0.7) * Math.cos(y * 0.5));
    }
  }
  return a;
}

/**
 * testImage(24, 16) encoded and decoded by libjpeg-turbo 2.1.5 (Debian's libjpeg62-turbo):
 * jpeg_set_defaults, jpeg_set_quality(q, TRUE), dct_method JDCT_FLOAT for both directions, and for
 * 4:4:4 the luma sampling factors set to 1x1. (24 px is 1.5 MCUs of 4:2:0: the edge padding counts.)
 */
const LIBJPEG = {
  q30_420: 'xw6DyhGbyhPHzRnazCLNyyupyTRrxDpHykhKvUxexmysrXjIYmGnOWqKLYxqGI0+JJEmL5k3OaFuQKyfP7HLOLXVLrfHJ7i9xxCGyBKayRW/yx3OzSXDyy6jyzhuyD5OzEpSv05ixW2nq3nAYWGdOmyHLo9wGY5HJZQ1LptAN6NxPK2bO7S/NrfKLLy8Jr20xhCJxxSWxxmuyiG4yyuvzDSYzTxzzUNdzk1fv1JpxHGfqHyxX2SOOW5+L5F6G5JcJplOLJ9UMqdzNbCRNrmpMb+xKsSoJselxBGPxBaSxh2axyicyTOWzj2K00R60kpw01RxwVZwwnWVpn+cW2h7N3J2MpSHH5Z2KZ9tK6VsLax5MLWGL76QLceTKc+RJdKQwhOWwhmOwiSDxDB6yD14z0Z61k2B1lKD11qEwlt5wXqIoYSGVmtkNXdtNJmVIpuSKaeRKauHJ7F+KLt3JsVxJ9FxJ9p2Jt93wBSavxuLviltwDhexkRcz1Br2VWH21qT2WCVxGCCvYB9nIhvUm9QM3tjNJ6eIqGqKq+uJ7KdIraCIL9rIMtZI9hXJ+JfKullvRedux6Hui5bvD1Ew0xGzVhe2lyL3mKh2WWiw2WHvIVxl41cTXQ9MIBbMqKmI6W9KbXGIritHbyGGcNiGs5GIN1BJ+hPLfBYuRmdtyGCtTNPuEI2wFI5yl5U2GGL3Wam2Gqnv2mGt4hqkpFRSXgyLIRUMKaqIKrEKLvPH7y1Gr+FFcRbGdE9Id45LOpMM/BWuyKevzCKwUZbwFM/wVo7xmBR02OH2mqk23Spw3SKu5Vwl51XTYM3LoxXLqqoHK3AHLjEIca2IsyOGsthINZFNOlMQPFiQfBluiqcvzeLwUtlvlZJv11EwmBTzWWA0muY1HWdv3eDu5t0maRgTYk/LZJaKq6hFrCyFLixH8ipIc+KHs1oMNpdSO1qQ+BtKsNXvTWbwUCQw1F1wlpjvV9Xv2JdxmV4ymyGzHeMvHx9vaB+nq10UpNTLplhJrKVELKaDLaRH8yWJtCHJ852R+KEYPGWQMN9BIBEwECXxEqVyFeNxF9/vmFzvWNswmdwxW52yHp6uYB1v6eLpLWLWJxpMKFtI7mLC7aBCrpxH89+LNOFN9OKWuWqa+W8NZyJAEI6wUeSxlCaylylx2GiwWSRvmZ/wGxswXRkyIFruohvwayXprmjW6CBMqZ3JMF+C79mD8ZUIdFiM9WAStmjZt3KYcHPJG6TABtLv0uKxlScy165y2S/xWWtwGqRwnFtw3pZyotgvI5swa+jpru0WqGRNKl/Jsl4EMlUHddFI9NKO9h/XuK7ZczdQYzGDT+UABBxvEuBxFScy17HzWXWyGfGxG2ixnhuxYFSz5RavpVpwrCspLjBWaCcM6uFKNBxFdRILek8JdU1Qtl8burQYLjoG1W2ABmTCBifukx9wlSby13Oz2XjymnSx2+ryHxvx4ZQ0ZpZv5lowrCwo7bFV56iMquIK9RvGdpDN/Q4JdUsRdp8eO/cWqvqATOmAASRHyS+',
  q90_444: 'yQJ/xwe8xhXfxh7TyCKqyixdxzkjxkAdxUlBx1GBzVnGzmHgJGzQKHSlLHxfKIkiK48bKJdKJqKGKK2+KbPhKrnZKcabKNFayQSFyQu1xxnSyCPHyiiiyjBiyTwyxkItxE1HxVaAy128zGbUJHHJJ3mhKYJkJY0uKJYlJ5xOJaeFJrG2KLfXKb/OKMqZJ9ZhywmGyRGlyB60ySiqyi2UyzZtyUFPyEZOxVRaxV1+yWSmzW23I3ivJX+XKYhwJZNMJptCJaJeJa6EJrilKL+6Kca1J9GSJdtsyg+CyReJyCOLxyyHyDSCyjt7ykV6yEx+xld4xWJ+yWuFy3KGI32FJ4WFKI1/JZd2J6B1KKd6JrN/J7yCKMSHJ8yIJtaFJt5+yBV5yB1pxiddxjBgxjhwyEGNyUqlyVKsy1qcxWWAyG5jy3dTI4JYJ4lwKpGQKJqlKqKwK6ucKbd9KcBfJshQKNJYKNt3J+GQyBt1xiNQxis5xTRDxT1jxkaZyU/GylnPy1+1x2mByHRIy3wxJIY5J45hKpWbKZ/HKafXKrCxK7t9KsRKKM0rJ9c2J+BpKuWeyB98yCdGyTEmyDkxxkVbx02ixlXYyF3eyWW/xHB/yHg9zH8jJIswJ5RdKZyfKKfUJ6/fKLa3KsF+K8hHKNEgJ90oKOdmKOulySCDyStEyjMgyj0ryUlYx1GlxljbxmLgyGq+xHV7x3w5zIMlJY00JpdfJ6KgJKzUIrTZJr20KcV+KstKKNMiJ+EmJuxlJ/Goxyh4xjBexTxGxkZHyU1nyVWSx1+0xWfHymurxXmFxYVVyI84I5g/J55oKaWbJa+6Kri8Lbm2LMh3JdtSKN85I+FNK+xtIPeayiyDyTR4xz5syEhryFB0yVqEx2SSx2uazHSNxn5/yIdxyo5qJJdsKKB8KqqJJreQGcaRLcCKMtCGGNZsLNluNelsMOx8Lf6JyTKDyTmRyUKeykydylWKyV92yWpoynBly3twxoZ9yIyUy5KjJZyiKaSPKrB1Jr1gLsJsLchjE9iAMeSsLeqmJeuKHP98KABwxjl7x0CfyUnEyFLEx1qdyGNrym5JznU7yn9gxop/x5Ksy5nKJ6TEK6yaKrRmJcBAH8g7KMxTG+iDKdykLea8JvOwLPykIQhkxT6ByESxy03cyVbZxV+hxWleyHMwy3oex4RQw458x5i8zJ/gJ6rWKbKgKLlcI8MtLs4kKc9BI9x+KO3CK+juLv/MHgacLwRtx0KRyUm6y1LfyVzTxmWaw29VxXonyIEXxolGw5R4x5u8zKPlJq7WKLaeKcBZIcopKMkhL+FVJd98Mei6IfXeNfrPIgCSIhRhyEeKyU6pzFjFymG9xmqRxXRfxX9DyIY4yY5SxZh5yJ+ty6jJJrO9Kr2TKsRkJs5DK90xJdhaIe6FLO+jJPPZGA+6LxCSKxRcxUp2yVOQy1ypy2aoyG+Pxndyx4JlyIhky49qyJqCyaSey66qJrmdKcGGK8hxKdBmItdiMOplH+1+MfWPHP+6MQSlJwqBMhp4',
};

describe('jpegRoundTrip', () => {
  it('gives the bytes of libjpeg-turbo (float DCT), edge padding and fancy upsampling included', () => {
    const img = testImage(24, 16);
    expect(equalBytes(jpegRoundTrip(img, 24, 16, 30, '4:2:0'), Buffer.from(LIBJPEG.q30_420, 'base64'))).toBe(true);
    expect(equalBytes(jpegRoundTrip(img, 24, 16, 90, '4:4:4'), Buffer.from(LIBJPEG.q90_444, 'base64'))).toBe(true);
  });

  it('scales the Annex K tables with the IJG quality formula', () => {
    expect(Array.from(quantTable([16, 11, 99], 50))).toEqual([16, 11, 99]);
    expect(Array.from(quantTable([16, 11, 99], 75))).toEqual([8, 6, 50]);
    expect(Array.from(quantTable([16, 11, 99], 100))).toEqual([1, 1, 1]);
    expect(Array.from(quantTable([16, 11, 99], 10))).toEqual([80, 55, 255]);
    expect(Array.from(quantTable([16, 11, 99], 1))).toEqual([255, 255, 255]);
  });

  it('keeps a flat image flat (its DC quantised) at any size', () => {
    for (const [w, h] of [[16, 16], [17, 9], [1, 1], [33, 2]]) {
      const img = flat(w, h, 77);
      expect(equalBytes(jpegRoundTrip(img, w, h, 100), img)).toBe(true);
      // Quality 20: the DC step is 40 / 8 = 5 levels, so 77 comes back as 78 everywhere.
      expect(jpegRoundTrip(img, w, h, 20).every((v) => v === 78)).toBe(true);
      expect(jpegRoundTrip(natural(w, h), w, h, 50, '4:2:0').length).toBe(w * h * 3);
    }
  });

  it('loses more at lower quality, and 4:2:0 loses colour detail 4:4:4 keeps', () => {
    const img = natural(64, 48);
    let last = Infinity;
    for (const q of [5, 20, 50, 80, 100]) {
      const err = meanAbsDiff(jpegRoundTrip(img, 64, 48, q, '4:4:4'), img);
      expect(err).toBeLessThan(last);
      last = err;
    }
    expect(last).toBeLessThan(1);
    // Alternating red and blue columns: 4:2:0 averages them to purple.
    const cols = new Uint8Array(32 * 16 * 3);
    for (let i = 0; i < 32 * 16; i++) cols.set(i % 2 ? [255, 0, 0] : [0, 0, 255], 3 * i);
    expect(meanAbsDiff(jpegRoundTrip(cols, 32, 16, 95, '4:2:0'), cols)).toBeGreaterThan(5 * meanAbsDiff(jpegRoundTrip(cols, 32, 16, 95, '4:4:4'), cols));
  });
});
