/**
 * The one schema of scene files. Validation, the TypeScript types, `robosynth schema` (JSON
 * Schema) and docs/scene-format.md all come from here. Unknown keys are errors everywhere:
 * a typo must never be silently ignored.
 *
 * Units: metres, degrees where a name ends in _deg, colours linear RGB in [0, 1].
 * World frame: right-handed, Z up; the support's top surface is the plane z = 0.
 */
import { z } from 'zod';

import { sensorSpec } from '../effects/sensor-schema.js';
import { finite, intRange, range } from './ranges.js';

export { range } from './ranges.js';

const minMax = z.tuple([finite, finite]).refine(([a, b]) => a <= b, 'expected [min, max] with min <= max');

const vec3 = z.tuple([finite, finite, finite]);
const unit = z.number().min(0).max(1);

export const colorSpec = z.union([
  z.tuple([unit, unit, unit]).describe('linear RGB in [0, 1]'),
  z.strictObject({
    hue_deg: range(0, 360).default([0, 360]),
    saturation: range(0, 1).default([0.3, 0.9]),
    value: range(0, 1).default([0.3, 0.9]),
  }).describe('a random colour drawn in HSV'),
]);

export const textureSpec = z.strictObject({
  folder: z.string().min(1).describe('folder of PNG/JPEG images, relative to the scene file; one is drawn per material draw (files in name order, so the choice is reproducible)'),
  p: unit.default(1).describe('probability that a material draw gets a texture at all (otherwise it is plain colour)'),
  scale: range(1e-3, 1000).default(1).describe('texture repeats per UV unit (primitives: per face), drawn per material draw'),
}).describe('albedo textures drawn from a folder, multiplied by the material colour (white [1, 1, 1] shows them as they are); they never change labels');

export const materialSpec = z.strictObject({
  color: colorSpec.default({ hue_deg: [0, 360], saturation: [0.3, 0.9], value: [0.3, 0.9] }).describe('albedo colour, times the texture if any: linear RGB in [0, 1], or a mapping drawn in HSV'),
  roughness: range(0, 1).default([0.3, 0.9]).describe('PBR roughness: 0 mirror-like, 1 matte'),
  metallic: range(0, 1).default(0).describe('PBR metalness: 0 dielectric, 1 metal'),
  texture: textureSpec.optional(),
  per: z.enum(['instance', 'class']).default('instance').describe('instance: every instance draws its own material; class: all instances of a class share one draw per frame'),
});

const positive = finite.positive();

export const backgroundSpec = z.strictObject({
  color: colorSpec.default([0.08, 0.08, 0.1]).describe('the colour behind everything: RGB in [0, 1] written to the image as given (1 is 255: not lit, not converted), or a mapping drawn in HSV per frame; also what a frame shows when no gradient or image fires, or its image cannot be decoded'),
  gradient: z.strictObject({
    p: unit.default(1).describe('probability that a frame gets the gradient (otherwise the plain colour)'),
    top: colorSpec.default({ hue_deg: [0, 360], saturation: [0.3, 0.9], value: [0.3, 0.9] }).describe('colour at the top edge (at angle_deg 0): RGB in [0, 1] written as given, like `color`, or a mapping drawn in HSV per frame'),
    bottom: colorSpec.default({ hue_deg: [0, 360], saturation: [0.3, 0.9], value: [0.3, 0.9] }).describe('colour at the bottom edge (at angle_deg 0): RGB in [0, 1] written as given, like `color`, or a mapping drawn in HSV per frame'),
    angle_deg: range(-360, 360).default(0).describe('rotation of the gradient in the image, counter-clockwise: 0 puts `top` at the top edge, 90 at the left edge, 180 at the bottom'),
  }).optional().describe('a linear two-colour gradient over the whole image, behind everything (colour image only)'),
  images: z.strictObject({
    folder: z.string().min(1).describe('folder of PNG/JPEG images, relative to the scene file; one is drawn per frame (files in name order, so the choice is reproducible)'),
    p: unit.default(1).describe('probability that a frame gets an image (otherwise the gradient or the plain colour)'),
  }).optional().describe('a random image behind everything (colour image only), scaled to cover the whole image with its aspect ratio kept and centre-cropped; wins over the gradient'),
}).default({ color: [0.08, 0.08, 0.1] });

const shapeFields = {
  box: z.strictObject({ size: z.tuple([range(1e-4), range(1e-4), range(1e-4)]).describe('full extents along x, y, z (m)') }),
  cylinder: z.strictObject({ radius: range(1e-4), height: range(1e-4) }).describe('axis along the model Z'),
  sphere: z.strictObject({ radius: range(1e-4) }),
  mesh: z.strictObject({
    file: z.string().min(1).optional().describe('glTF/GLB, OBJ (+MTL), STL, Collada (DAE) or PLY (BOP models: unit mm), or a YCB-style object model.urdf (visual mesh drawn, collision mesh as convex parts), relative to the scene file'),
    folder: z.string().min(1).optional().describe('instead of `file`: a folder, relative to the scene file, whose .obj, .stl, .ply, .gltf, .glb and .dae files and subfolders holding a model.urdf (YCB style) are each one model of the class (its own obj_id when labeled), in name order; every instance draws one of them uniformly. Hidden files, other files and deeper subfolders are ignored; `unit`, `up` and `scale` apply to every model'),
    unit: z.enum(['m', 'cm', 'mm']).default('m'),
    up: z.enum(['z', 'y']).default('z').describe('the axis that is up in the file (glTF is y-up)'),
    scale: positive.default(1),
  }).superRefine((value, ctx) => {
    if ((value.file === undefined) === (value.folder === undefined)) {
      ctx.addIssue({ code: 'custom', message: `expected exactly one of file or folder, got ${value.file === undefined ? 'neither' : 'both'}` });
    }
  }).describe('a mesh file, or a folder of them: exactly one of `file` and `folder`'),
};

export const objectClass = z.strictObject({
  class: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, _ . or -').describe('category name in BOP and COCO'),
  box: shapeFields.box.optional(),
  cylinder: shapeFields.cylinder.optional(),
  sphere: shapeFields.sphere.optional(),
  mesh: shapeFields.mesh.optional(),
  variants: z.int().min(1).max(100).default(1).describe('procedural classes: how many differently sized models (each its own obj_id) are drawn from the size ranges'),
  count: intRange(0, 100).default(1).describe('instances per frame: an integer, or an integer drawn uniformly from [min, max] inclusive'),
  mass: range(1e-4).default(0.2),
  material: materialSpec.default({ color: { hue_deg: [0, 360], saturation: [0.3, 0.9], value: [0.3, 0.9] }, roughness: [0.3, 0.9], metallic: 0, per: 'instance' }),
  orientation: z.enum(['free', 'upright']).default('free').describe('initial drop orientation: any, or model Z up with a random yaw'),
  symmetries: z.strictObject({
    discrete: z.array(z.array(finite).length(16)).default([])
      .describe('4x4 transforms (row-major, translation in mm, as BOP) that map the model onto itself'),
    continuous: z.array(z.strictObject({ axis: vec3, offset: vec3.default([0, 0, 0]).describe('a point on the axis (mm)') })).default([])
      .describe('axes (model frame) about which any rotation maps the model onto itself, e.g. a can: axis [0, 0, 1]'),
  }).optional().describe('written to models_info.json as symmetries_discrete / symmetries_continuous for every model of the class (BOP)'),
  labeled: z.boolean().default(true).describe('false: a distractor, dropped, settled and drawn like the others but with no label (no mask, pose or category; it occludes like the table)'),
}).superRefine((value, ctx) => {
  const shapes = (['box', 'cylinder', 'sphere', 'mesh'] as const).filter((key) => value[key] !== undefined);
  if (shapes.length !== 1) {
    ctx.addIssue({ code: 'custom', message: `expected exactly one of box, cylinder, sphere or mesh, got ${shapes.length ? shapes.join(', ') : 'none'}` });
  }
});

/** Fields every light has: how many of it, and its colour, given or as a colour temperature. */
const lightCommon = {
  count: intRange(0, 8).default(1).describe('lights of this kind per frame: an integer, or drawn from [min, max]; each is sampled on its own'),
  color: z.tuple([unit, unit, unit]).default([1, 1, 1]),
  temperature_k: range(1000, 40000).optional().describe('colour temperature in kelvin (e.g. [2700, 6500]: warm to daylight); replaces `color`'),
};

export const lightSpec = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('directional'),
    elevation_deg: range(-90, 90).default([35, 75]).describe('angle of the light above the horizon'),
    azimuth_deg: range(-360, 360).default([0, 360]),
    intensity: range(0).default([1.5, 3]),
    ...lightCommon,
    shadows: z.boolean().default(true),
  }),
  z.strictObject({
    type: z.literal('point'),
    position: z.tuple([range(), range(), range()]),
    intensity: range(0).default(1),
    ...lightCommon,
    shadows: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('hemispheric'),
    intensity: range(0).default(0.6),
    ...lightCommon,
    ground_color: z.tuple([unit, unit, unit]).default([0.25, 0.25, 0.25]),
  }),
]);

export const supportSpec = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('table'),
    size: z.tuple([positive, positive]).default([1.2, 0.8]).describe('x and y extents of the top (m)'),
    thickness: positive.default(0.04),
    material: materialSpec.default({ color: [0.55, 0.45, 0.35], roughness: 0.8, metallic: 0, per: 'instance' }),
  }),
  z.strictObject({
    type: z.literal('ground'),
    size: z.tuple([positive, positive]).default([20, 20]).describe('rendered extent of the plane (physics is infinite)'),
    material: materialSpec.default({ color: [0.5, 0.5, 0.5], roughness: 0.9, metallic: 0, per: 'instance' }),
  }),
  z.strictObject({
    type: z.literal('bin'),
    size: z.tuple([positive, positive]).default([0.4, 0.3]).describe('inner x and y extents of the floor (m); a settled object whose centre leaves them is resampled'),
    wall_height: positive.default(0.12).describe('height of the four walls above the floor (m)'),
    wall_thickness: positive.default(0.01).describe('thickness of the walls and of the floor drawn under z = 0 (m)'),
    material: materialSpec.default({ color: [0.2, 0.35, 0.6], roughness: 0.7, metallic: 0, per: 'instance' }).describe('floor and walls (drawn unlabeled, static in physics)'),
  }).describe('a box open at the top: floor z = 0 with four walls; objects drop inside and pile up'),
  z.strictObject({
    type: z.literal('shelf'),
    size: z.tuple([positive, positive]).default([0.8, 0.3]).describe('width (x) and depth (y) of the board between the walls (m); the shelf is open towards -y'),
    height: positive.default(0.35).describe('clear height above the board: to the board above, or the height of the walls (m)'),
    thickness: positive.default(0.02).describe('thickness of the boards and walls (m)'),
    top: z.boolean().default(true).describe('a board above at `height`'),
    material: materialSpec.default({ color: [0.75, 0.7, 0.62], roughness: 0.8, metallic: 0, per: 'instance' }).describe('boards and walls (drawn unlabeled, static in physics)'),
  }).describe('a shelf board (its top is z = 0) with a back wall at +y, side walls at +-x and optionally a board above'),
]);

const jointValue = z.union([finite, z.tuple([finite, finite]).refine(([a, b]) => a <= b, 'expected [min, max] with min <= max')]);

export const robotSpec = z.strictObject({
  name: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, _ . or -').describe('the robot\'s name: its COCO category and the prefix of its link classes'),
  urdf: z.string().min(1).describe('URDF file, relative to the scene file'),
  packages: z.record(z.string(), z.string()).default({}).describe('package://NAME/... resolves to these folders (relative to the scene file)'),
  base: z.strictObject({
    position: z.tuple([range(), range(), range()]).default([0, 0, 0]).describe('robot base in the world (m); z = 0 is the support top'),
    yaw_deg: range(-360, 360).default(0).describe('rotation of the base about world Z'),
  }).default({ position: [0, 0, 0], yaw_deg: 0 }),
  joints: z.strictObject({
    sample: z.enum(['uniform', 'around', 'fixed']).default('uniform')
      .describe('uniform: within each joint\'s limits; around: a fraction of each range around a configuration; fixed: the configuration as given'),
    configuration: z.union([z.string().min(1), z.record(z.string(), finite)]).optional()
      .describe('a name from `configurations`, or joint values (rad or m); unlisted joints are 0'),
    fraction: z.number().min(0).max(1).default(0.25).describe('for `around`: the share of each joint\'s range to sample in, centred on the configuration'),
    configurations: z.record(z.string(), z.record(z.string(), finite)).default({}).describe('named configurations'),
    override: z.record(z.string(), jointValue).default({}).describe('per-joint: a fixed value or a [min, max] range, whatever the mode'),
    continuous_range: z.tuple([finite, finite]).default([-Math.PI, Math.PI]).describe('the range sampled for continuous joints (no limits)'),
  }).default({ sample: 'uniform', fraction: 0.25, configurations: {}, override: {}, continuous_range: [-Math.PI, Math.PI] }),
  end_effector: z.string().optional().describe('link whose origin is the end-effector keypoint (default: the last link of the longest chain)'),
  material: materialSpec.optional().describe('overrides the URDF and mesh colours'),
  max_attempts: z.int().min(1).max(10000).default(100).describe('configurations tried before a frame gives up (self-collision, table contact)'),
});

export const sceneSchema = z.strictObject({
  image: z.strictObject({
    width: z.int().min(16).max(8192),
    height: z.int().min(16).max(8192),
  }),
  camera: z.strictObject({
    intrinsics: z.strictObject({ fx: positive, fy: positive, cx: finite, cy: finite }).describe('OpenCV pinhole intrinsics in pixels'),
    intrinsics_jitter: z.strictObject({
      focal: range(0, 0.5).default(0).describe('relative change of fx and fy together, drawn in +-this (0.02 = +-2%)'),
      aspect: range(0, 0.1).default(0).describe('relative change of fy / fx, drawn in +-this'),
      principal_px: range(0, 100).default(0).describe('shift of cx and cy, each drawn in +-this many px'),
    }).default({ focal: 0, aspect: 0, principal_px: 0 }).describe('per-frame intrinsics: each frame\'s own K is written to scene_camera.json'),
    clip: z.strictObject({ near: positive.default(0.05), far: positive.default(6) }).default({ near: 0.05, far: 6 })
      .refine((clip) => clip.near < clip.far, 'expected near < far'),
    pose: z.strictObject({
      target: vec3.default([0, 0, 0]).describe('look-at point in the world (m)'),
      target_jitter: z.tuple([range(0), range(0), range(0)]).default([0, 0, 0]).describe('uniform +- offset of the target per axis (m)'),
      distance: range(0.01).describe('camera to target (m)'),
      elevation_deg: range(-89, 89).describe('above the horizontal plane through the target'),
      azimuth_deg: range(-360, 720).default([0, 360]),
      roll_deg: range(-180, 180).default(0),
    }),
  }),
  background: backgroundSpec,
  lights: z.array(lightSpec).min(1).max(8).refine((lights) => lights.reduce((n, l) => n + (Array.isArray(l.count) ? l.count[1] : l.count), 0) <= 8,
    'expected at most 8 lights per frame (the sum of the counts\' maxima)'),
  support: supportSpec,
  objects: z.array(objectClass).min(1),
  robots: z.array(robotSpec).default([]).describe('articulated robots from URDF, sampled in joint space every frame'),
  placement: z.strictObject({
    region: z.strictObject({ x: minMax, y: minMax }).describe('drop area on the support (m)'),
    drop_height: range(0).default([0.05, 0.3]).describe('height of the lowest point above the support (m)'),
  }),
  physics: z.strictObject({
    time_step: positive.max(0.1).default(1 / 120),
    max_steps: z.int().min(1).max(100000).default(300),
    gravity: finite.min(0).default(9.81).describe('magnitude of gravity along -Z (m/s^2)'),
    friction: range(0, 2).default(0.5),
    restitution: range(0, 1).default(0.1),
    sleep_speed: positive.default(0.02).describe('a body may sleep once its fastest point moves slower than this (m/s)'),
    sleep_time: positive.default(0.2).describe('... for this long (s)'),
    penetration_tolerance: positive.default(0.002).describe('deepest contact allowed after settling (m); deeper frames are resampled'),
    solver_iterations: z.int().min(1).max(200).default(10),
    linear_damping: z.number().min(0).max(0.99).default(0.01).describe('fraction of linear velocity lost per second'),
    angular_damping: z.number().min(0).max(0.99).default(0.01).describe('fraction of angular velocity lost per second (spheres also get rolling resistance, so balls come to rest)'),
    max_attempts: z.int().min(1).max(1000).default(20).describe('resamples of a frame whose objects fell off or interpenetrate'),
  }).default({
    time_step: 1 / 120, max_steps: 300, gravity: 9.81, friction: 0.5, restitution: 0.1,
    sleep_speed: 0.02, sleep_time: 0.2, penetration_tolerance: 0.002, solver_iterations: 10, linear_damping: 0.01, angular_damping: 0.01, max_attempts: 20,
  }),
  sensor: sensorSpec,
  render: z.strictObject({
    samples: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]).default(4).describe('MSAA samples of the colour pass'),
    shadow_map_size: z.union([z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)]).default(1024),
  }).default({ samples: 4, shadow_map_size: 1024 }),
});

export type SceneSpec = z.output<typeof sceneSchema>;
export type ObjectClassSpec = z.output<typeof objectClass>;
export type LightSpec = z.output<typeof lightSpec>;
export type MaterialSpec = z.output<typeof materialSpec>;
export type ColorSpec = z.output<typeof colorSpec>;
export type BackgroundSpec = z.output<typeof backgroundSpec>;
export type Range = number | [number, number];
export type RobotSpec = z.output<typeof robotSpec>;

/** The JSON Schema of scene files (for editors and `robosynth schema`). */
export function sceneJsonSchema(): unknown {
  return z.toJSONSchema(sceneSchema, { io: 'input', unrepresentable: 'any' });
}
