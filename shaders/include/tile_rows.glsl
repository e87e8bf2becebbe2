/* SPDX-License-Identifier: MIT */
// tile_rows.glsl — what conv2d_dw.comp and pool2d_tile.comp share: a lane
// computes PX = 4·NV neighbouring outputs of RPW consecutive rows of one
// plane, lanes numbered across planes (so workgroups stay full however small
// a plane is), and walks the NR input rows those outputs read once each, top
// to bottom. The includer defines the specialization constants RPW, NV, KHS,
// KWS (window), SHS, SWS (strides), DHS, DWS (dilations), XV (x's rows as
// aligned 4-vector texels) and PH (their phase), and binds x as element
// texels (x_tex) and as 4-vector texels (x4_tex).
#ifndef VKA_TILE_ROWS_GLSL
#define VKA_TILE_ROWS_GLSL

// the most inputs a row of PX outputs reads and their texels (keep in sync
// with vka__tile_ok in runtime/src/cmd.c: windows up to 16x16, strides and
// dilations up to 4; the lane layout is vka__tile_layout's)
#define VKA_TILE_LMAX 89
#define VKA_TILE_TMAX 24

const uint PX = 4u * NV;                                  // outputs of a lane's row
const uint L = (PX - 1u) * SWS + (KWS - 1u) * DWS + 1u;   // inputs of one row
const uint NT = (PH + L + 3u) / 4u;                       // XV: their texels
const uint NR = (RPW - 1u) * SHS + (KHS - 1u) * DHS + 1u; // input rows of a lane

// Does window row ky of one of the lane's output rows read its input row j
// (r·SH + ky·DH == j for an r below RPW; constants once the loops unroll)?
bool reads_row(uint j, uint ky)
{
    return j >= ky * DHS && (j - ky * DHS) % SHS == 0u && (j - ky * DHS) / SHS < RPW;
}

// Is input row j read by any output row (not with a stride above the
// window's reach)?
bool row_used(uint j)
{
    bool used = false;
    [[unroll]] for (uint ky = 0; ky < KHS; ky++)
        used = used || reads_row(j, ky);
    return used;
}

// The lane's tile: the plane (batch x channel) and its first output column
// and row, of nplanes planes of oh x ow outputs; live is false for the lanes
// past the last tile (they compute the last tile again and store nothing).
struct Tile {
    uint plane, ox0, oy0;
    bool live;
};

Tile tile_of(uint lane, uint nplanes, uint oh, uint ow)
{
    uint ngx = (ow + PX - 1u) / PX, ngrp = ngx * ((oh + RPW - 1u) / RPW);
    Tile t;
    t.live = lane < nplanes * ngrp;
    lane = min(lane, nplanes * ngrp - 1u);
    t.plane = lane / ngrp;
    uint grp = lane % ngrp;
    t.ox0 = (grp % ngx) * PX, t.oy0 = (grp / ngx) * RPW;
    return t;
}

// The L inputs of a row that starts at element e (e - PH a multiple of 4
// where XV), addresses clamped to x's elements up to xlast.
void load_row(int e, int xlast, out float seg[VKA_TILE_LMAX])
{
    if (XV != 0u) {
        vec4 tx[VKA_TILE_TMAX];
        [[unroll]] for (uint t = 0; t < NT; t++)
            tx[t] = imageLoad(x4_tex, clamp((e >> 2) + int(t), 0, xlast >> 2));
        [[unroll]] for (uint u = 0; u < L; u++)
            seg[u] = tx[(PH + u) >> 2][(PH + u) & 3u];
    } else {
        [[unroll]] for (uint u = 0; u < L; u++)
            seg[u] = imageLoad(x_tex, clamp(e + int(u), 0, xlast)).x;
    }
}

#endif
