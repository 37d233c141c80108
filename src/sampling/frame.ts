/**
 * Sampling a frame: camera, lights, materials and drop poses from (seed, frame index) alone,
 * then settling the drop in physics. A frame whose objects fall off or interpenetrate is
 * resampled with the next attempt's stream, so the result is still a function of (seed, index).
 */
import { axisAngleToMat3, cross, IDENTITY3, mulMat3, normalize, quatToMat3 } from '../geometry/transforms.js';
import type { Mat3, Pose, Vec3 } from '../geometry/types.js';
import type { SettleInput, SettleResult } from '../physics/settle.js';
import { UserError } from '../errors.js';
import type { FrameCamera, FrameDescription, FrameInstance, FrameLight, FrameRobot, Material, RGB } from '../scene/frame.js';
import type { RobotModel } from '../robot/robot-model.js';
import { placedColliders, sampleRobotState } from '../robot/sample.js';
import { shapeBox } from '../physics/overlap.js';
import { settleSupport, type Model, type ModelCatalog } from '../scene/models.js';
import type { SceneTextures } from '../scene/load.js';
import type { MaterialSpec, SceneSpec } from '../scene/schema.js';
import { sampleSensorEffects } from '../effects/sensor.js';
import { sampleBackground } from './background.js';
import { sampleColor } from './color.js';
import { Rng } from './rng.js';

const DEG = Math.PI / 180;

export type Settle = (input: SettleInput) => SettleResult;

/** Moved to ./color.js (the background draws colours too); still exported from here. */
export { sampleColor };

/**
 * A material from its spec. With a `texture` block (and only then, so scenes without one keep
 * their streams) three more draws follow, whatever their outcome: whether to texture (p), which
 * image of the folder, and the scale.
 * @param folders the images of each texture folder (LoadedScene.textures.folders)
 */
export function sampleMaterial(rng: Rng, spec: MaterialSpec, folders?: SceneTextures['folders']): Material {
  const material: Material = { color: sampleColor(rng, spec.color), roughness: rng.range(spec.roughness), metallic: rng.range(spec.metallic) };
  if (spec.texture) {
    const images = folders?.get(spec.texture.folder);
    if (!images?.length) throw new Error(`sampleMaterial: no images listed for the texture folder "${spec.texture.folder}"`);
    const textured = rng.next() < spec.texture.p;
    const image = images[Math.min(images.length - 1, Math.floor(rng.next() * images.length))];
    const scale = rng.range(spec.texture.scale);
    if (textured) {
      material.texture = image;
      material.textureScale = scale;
    }
  }
  return material;
}

/** Camera on a shell around a jittered look-at target, OpenCV axes, world Z as up. */
export function sampleCamera(rng: Rng, spec: SceneSpec): FrameCamera {
  const { pose, intrinsics, clip } = spec.camera;
  const target = pose.target.map((c, i) => c + rng.range(pose.target_jitter[i]) * (2 * rng.next() - 1)) as Vec3;
  const distance = rng.range(pose.distance);
  const elevation = rng.range(pose.elevation_deg) * DEG;
  const azimuth = rng.range(pose.azimuth_deg) * DEG;
  const roll = rng.range(pose.roll_deg) * DEG;
  const position: Vec3 = [
    target[0] + distance * Math.cos(elevation) * Math.cos(azimuth),
    target[1] + distance * Math.cos(elevation) * Math.sin(azimuth),
    target[2] + distance * Math.sin(elevation),
  ];
  const z = normalize([target[0] - position[0], target[1] - position[1], target[2] - position[2]]);
  const x = normalize(cross(z, [0, 0, 1]));
  const y = cross(z, x);
  // Columns are the camera axes in the world; roll turns the image about the optical axis.
  const look: Mat3 = [x[0], y[0], z[0], x[1], y[1], z[1], x[2], y[2], z[2]];
  const R = roll === 0 ? look : mulMat3(look, axisAngleToMat3([0, 0, 1], roll));
  // Intrinsics jitter (drawn only when asked for, so scenes without it keep their streams).
  const jitter = spec.camera.intrinsics_jitter;
  const symmetric = (r: typeof jitter.focal) => (r === 0 ? 0 : rng.range(r) * (2 * rng.next() - 1));
  const focal = 1 + symmetric(jitter.focal);
  const aspect = 1 + symmetric(jitter.aspect);
  return {
    width: spec.image.width,
    height: spec.image.height,
    fx: intrinsics.fx * focal,
    fy: intrinsics.fy * focal * aspect,
    cx: intrinsics.cx + symmetric(jitter.principal_px),
    cy: intrinsics.cy + symmetric(jitter.principal_px),
    near: clip.near,
    far: clip.far,
    pose: { R, t: position },
  };
}

/**
 * The colour of a black body at `kelvin`, as linear RGB scaled so that the largest channel is 1.
 * Tanner Helland's fit to the CIE 1964 10-degree colour matching functions (sRGB, 1000-40000 K),
 * decoded from sRGB to linear: 6500 K is near white, 2700 K a warm bulb, 10000 K a blue sky.
 */
export function kelvinToRgb(kelvin: number): RGB {
  const t = kelvin / 100;
  const clamp = (v: number) => Math.min(255, Math.max(0, v)) / 255;
  const r = t <= 66 ? 1 : clamp(329.698727446 * (t - 60) ** -0.1332047592);
  const g = t <= 66 ? clamp(99.4708025861 * Math.log(t) - 161.1195681661) : clamp(288.1221695283 * (t - 60) ** -0.0755148492);
  const b = t >= 66 ? 1 : t <= 19 ? 0 : clamp(138.5177312231 * Math.log(t - 10) - 305.0447927307);
  const linear = [r, g, b].map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  const max = Math.max(...linear);
  return linear.map((c) => c / max) as RGB;
}

/** Each light spec `count` times, each light with its own draws; colours from `temperature_k` when given. */
export function sampleLights(rng: Rng, spec: SceneSpec): FrameLight[] {
  return spec.lights.flatMap((light): FrameLight[] => {
    const count = rng.int(light.count);
    return Array.from({ length: count }, (): FrameLight => {
      const color = (light.temperature_k !== undefined ? kelvinToRgb(rng.range(light.temperature_k)) : [...light.color]) as RGB;
      if (light.type === 'directional') {
        const elevation = rng.range(light.elevation_deg) * DEG;
        const azimuth = rng.range(light.azimuth_deg) * DEG;
        // The light sits at (elevation, azimuth) and shines towards the origin.
        const direction: Vec3 = [-Math.cos(elevation) * Math.cos(azimuth), -Math.cos(elevation) * Math.sin(azimuth), -Math.sin(elevation)];
        return { type: 'directional', direction, color, intensity: rng.range(light.intensity), shadows: light.shadows };
      }
      if (light.type === 'point') {
        const position = light.position.map((r) => rng.range(r)) as Vec3;
        return { type: 'point', position, color, intensity: rng.range(light.intensity), shadows: light.shadows };
      }
      return { type: 'hemispheric', color, groundColor: [...light.ground_color] as RGB, intensity: rng.range(light.intensity) };
    });
  });
}

interface Drop {
  model: Model;
  mass: number;
  material: Material;
  pose: Pose;
}

/** Drop poses spread over the region; where the region is full, the next layer goes higher. */
/** World-aligned boxes of the static obstacles (robot links), so drops start above them. */
export interface ObstacleBox {
  min: Vec3;
  max: Vec3;
}

/** The highest obstacle top under a disc, or 0 (the support) when none is there. */
function groundUnder(x: number, y: number, r: number, boxes: readonly ObstacleBox[]): number {
  let top = 0;
  for (const b of boxes) {
    if (x + r >= b.min[0] && x - r <= b.max[0] && y + r >= b.min[1] && y - r <= b.max[1]) top = Math.max(top, b.max[2]);
  }
  return top;
}

/**
 * @param classMaterials by class index: the material all instances of a `per: class` class share
 *   this frame (undefined: each instance draws its own from `rng`)
 */
function sampleDrops(rng: Rng, spec: SceneSpec, catalog: ModelCatalog, obstacles: readonly ObstacleBox[], classMaterials: readonly (Material | undefined)[]): Drop[] {
  const drops: Drop[] = [];
  const placed: { x: number; y: number; r: number; layer: number }[] = [];
  const { region } = spec.placement;
  spec.objects.forEach((cls, classIndex) => {
    const count = rng.int(cls.count);
    for (let k = 0; k < count; k++) {
      const variants = catalog.byClass[classIndex];
      const model = variants[Math.min(variants.length - 1, Math.floor(rng.next() * variants.length))];
      const material = classMaterials[classIndex] ?? sampleMaterial(rng, cls.material, catalog.textures.folders);
      const mass = rng.range(cls.mass);
      const R = cls.orientation === 'upright' ? axisAngleToMat3([0, 0, 1], rng.uniform(0, 2 * Math.PI)) : quatToMat3(rng.quaternion());
      const r = cls.orientation === 'upright' ? Math.max(model.radius, 1e-3) : model.radius;
      let layer = 0;
      let x = 0, y = 0;
      for (;; layer++) {
        let found = false;
        for (let tries = 0; tries < 12 && !found; tries++) {
          x = rng.uniform(region.x[0], region.x[1]);
          y = rng.uniform(region.y[0], region.y[1]);
          found = placed.every((p) => p.layer !== layer || Math.hypot(p.x - x, p.y - y) > p.r + r);
        }
        if (found) break;
      }
      placed.push({ x, y, r, layer });
      const lift = cls.orientation === 'upright' ? model.halfHeight : model.radius;
      // Layers are stacked far enough apart that no drop height can make two of them overlap.
      const drop = spec.placement.drop_height;
      const layerHeight = 2.05 * maxRadius(catalog) + (typeof drop === 'number' ? 0 : drop[1] - drop[0]);
      const z = groundUnder(x, y, r, obstacles) + rng.range(drop) + lift + layer * layerHeight;
      drops.push({ model, mass, material, pose: { R, t: [x, y, z] } });
    }
  });
  return drops;
}

function maxRadius(catalog: ModelCatalog): number {
  return Math.max(...catalog.byClass.flat().map((m) => m.radius));
}

/** A robot's links share one material: the scene's override, or a neutral default under the parts' own colours. */
function robotMaterial(model: RobotModel, seed: number, index: number, folders: SceneTextures['folders']): Material {
  if (model.spec.material) return sampleMaterial(new Rng(seed, index, 'robot-material', model.name), model.spec.material, folders);
  return { color: [0.7, 0.7, 0.7], roughness: 0.45, metallic: 0.1 };
}

export function sampleFrame(spec: SceneSpec, catalog: ModelCatalog, seed: number, index: number, settle: Settle): FrameDescription {
  const camera = sampleCamera(new Rng(seed, index, 'camera'), spec);
  const lights = sampleLights(new Rng(seed, index, 'lights'), spec);
  const folders = catalog.textures.folders;
  const supportMaterial = sampleMaterial(new Rng(seed, index, 'support'), spec.support.material, folders);
  const background = sampleBackground(new Rng(seed, index, 'background'), spec.background, folders);
  // `per: class`: one draw per class and frame, from the class's own stream (the same in every
  // attempt); the objects' stream then draws no material for its instances.
  const classMaterials = spec.objects.map((cls) =>
    cls.material.per === 'class' ? sampleMaterial(new Rng(seed, index, 'class-material', cls.class), cls.material, folders) : undefined);
  const physics = spec.physics;
  let lastProblem = '';
  for (let attempt = 1; attempt <= physics.max_attempts; attempt++) {
    // Robots first, each from its own stream: objects then settle around and on their links.
    const robots = catalog.robots.map(({ model, rules }) => ({ model, state: sampleRobotState(new Rng(seed, index, 'robot', model.name, attempt), model, rules) }));
    const obstacles = robots.flatMap(({ model, state }) => placedColliders(model, state));
    const rng = new Rng(seed, index, 'objects', attempt);
    const drops = sampleDrops(rng, spec, catalog, obstacles.map(shapeBox), classMaterials);
    const result = settle({
      support: settleSupport(spec.support),
      bodies: drops.map((d) => ({ shape: d.model.collision!, mass: d.mass, pose: d.pose })),
      obstacles,
      settings: {
        timeStep: physics.time_step,
        maxSteps: physics.max_steps,
        gravity: physics.gravity,
        friction: rng.range(physics.friction),
        restitution: rng.range(physics.restitution),
        sleepSpeed: physics.sleep_speed,
        sleepTime: physics.sleep_time,
        penetrationTolerance: physics.penetration_tolerance,
        solverIterations: physics.solver_iterations,
        linearDamping: physics.linear_damping,
        angularDamping: physics.angular_damping,
      },
    });
    if (result.problem) {
      lastProblem = `${result.problem.kind}: ${result.problem.detail}`;
      continue;
    }
    const instances: FrameInstance[] = drops.map((d, i) => ({
      id: i + 1,
      objId: d.model.objId,
      className: d.model.className,
      model: d.model.key,
      material: d.material,
      pose: result.poses[i],
      ...(d.model.objId === 0 ? { unlabeled: true as const } : {}),
    }));
    const frameRobots: FrameRobot[] = robots.map(({ model, state }) => {
      const linkIds: number[] = [];
      for (const link of model.links) {
        const id = instances.length + 1;
        linkIds.push(id);
        instances.push({
          id,
          objId: link.objId,
          className: link.key,
          model: link.key,
          material: robotMaterial(model, seed, index, folders),
          pose: state.links.get(link.link)!,
          robot: { name: model.name, link: link.link },
          partColors: !model.spec.material,
        });
      }
      const keypoints = model.keypoints.map((k) => ({
        name: k.name,
        position: (k.joint ? state.jointFrames.get(k.joint)! : state.links.get(k.link!)!).t,
      }));
      return { name: model.name, base: state.base, joints: state.joints, linkIds, keypoints };
    });
    return {
      seed,
      index,
      camera,
      ...background,
      lights,
      support: {
        model: catalog.support.key,
        pose: { R: [...IDENTITY3], t: [...catalog.support.pose.t] },
        material: supportMaterial,
        ...(catalog.support.walls.length ? { walls: catalog.support.walls.map((w) => ({ model: w.key, pose: { R: [...w.pose.R], t: [...w.pose.t] } })) } : {}),
      },
      instances,
      robots: frameRobots,
      physics: { attempts: attempt, steps: result.steps },
      sensor: sampleSensorEffects(spec.sensor, new Rng(seed, index, 'sensor')),
    };
  }
  throw new UserError(
    `frame ${index} (seed ${seed}): the objects did not settle cleanly in ${physics.max_attempts} attempts (last: ${lastProblem}); ` +
      'enlarge placement.region, lower the counts or raise physics.max_attempts',
  );
}
