/**
 * The page side of the renderer, bundled by esbuild and run in headless Chromium.
 * It turns a PageJob (already in the GL camera frame) into pixels and POSTs them back as
 * binary. It holds no randomness and no conventions of its own.
 */
import { Engine } from '@babylonjs/core/Engines/engine.js';
import { Scene } from '@babylonjs/core/scene.js';
import { Matrix, Vector2, Vector3, Vector4, Quaternion } from '@babylonjs/core/Maths/math.vector.js';
import { Color4 } from '@babylonjs/core/Maths/math.color.js';
import { TargetCamera } from '@babylonjs/core/Cameras/targetCamera.js';
import { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { VertexData } from '@babylonjs/core/Meshes/mesh.vertexData.js';
import { PBRMaterial } from '@babylonjs/core/Materials/PBR/pbrMaterial.js';
import { Material } from '@babylonjs/core/Materials/material.js';
// scene.isReady() consults the default material of meshes that have none.
import '@babylonjs/core/Materials/standardMaterial.js';
import { ShaderMaterial } from '@babylonjs/core/Materials/shaderMaterial.js';
import { Effect } from '@babylonjs/core/Materials/effect.js';
import { RenderTargetTexture } from '@babylonjs/core/Materials/Textures/renderTargetTexture.js';
import { Texture } from '@babylonjs/core/Materials/Textures/texture.js';
import { Constants } from '@babylonjs/core/Engines/constants.js';
import { DirectionalLight } from '@babylonjs/core/Lights/directionalLight.js';
import { PointLight } from '@babylonjs/core/Lights/pointLight.js';
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight.js';
import { ShadowGenerator } from '@babylonjs/core/Lights/Shadows/shadowGenerator.js';
import '@babylonjs/core/Lights/Shadows/shadowGeneratorSceneComponent.js';
import type { Light } from '@babylonjs/core/Lights/light.js';
import type { PageInit, PageInitResult, PageJob, PageItem, PageLight, PageTimings } from '../protocol.js';

Effect.ShadersStore['instanceDepthVertexShader'] = `
precision highp float;
attribute vec3 position;
uniform mat4 world;
uniform mat4 viewProjection;
varying float vDepth;
void main(void) {
  vec4 p = world * vec4(position, 1.0);
  // The view matrix is the identity (the job is in camera coordinates): depth is -z.
  vDepth = -p.z;
  gl_Position = viewProjection * p;
}`;

Effect.ShadersStore['instanceDepthFragmentShader'] = `
precision highp float;
uniform vec2 idBytes;
uniform float depthScale;
varying float vDepth;
void main(void) {
  float d = clamp(floor(vDepth * depthScale + 0.5), 0.0, 65535.0);
  float hi = floor(d / 256.0);
  float lo = d - hi * 256.0;
  gl_FragColor = vec4(idBytes.x / 255.0, idBytes.y / 255.0, lo / 255.0, hi / 255.0);
}`;

// The backdrop (PageJob.backdrop): a full-screen quad on the far plane, drawn with depth test
// LEQUAL and no depth write, so it fills exactly the samples nothing else covers, whatever the
// draw order. It is in no render target's list: the instance/depth pass never sees it.
Effect.ShadersStore['backdropVertexShader'] = `
precision highp float;
attribute vec3 position;
void main(void) {
  gl_Position = vec4(position.xy, 1.0, 1.0);
}`;

Effect.ShadersStore['backdropGradientFragmentShader'] = `
precision highp float;
uniform vec2 size;
uniform vec3 top;
uniform vec3 bottom;
uniform vec2 direction;
void main(void) {
  float t = clamp(0.5 + dot(gl_FragCoord.xy - 0.5 * size, direction), 0.0, 1.0);
  gl_FragColor = vec4(mix(bottom, top, t), 1.0);
}`;

Effect.ShadersStore['backdropImageFragmentShader'] = `
precision highp float;
uniform vec2 size;
uniform vec4 crop;
uniform sampler2D image;
void main(void) {
  // crop.xy: the share of the image's width and height shown; crop.zw: where that window starts.
  gl_FragColor = vec4(texture2D(image, gl_FragCoord.xy / size * crop.xy + crop.zw).rgb, 1.0);
}`;

interface Slot {
  mesh: Mesh;
  pbr: PBRMaterial;
  idMaterial: ShaderMaterial;
  /** Whether the mesh has texture coordinates (a texture is only drawn where it has). */
  hasUvs: boolean;
  /** This slot's own copies of the textures it has drawn (each with its own scale), by key. */
  textures: Map<string, Texture>;
}

/** Resolves at the next task, without setTimeout's clamping of nested timers to 4 ms. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
    channel.port2.postMessage(null);
  });
}

class PageRenderer {
  private readonly engine: Engine;
  private readonly scene: Scene;
  private readonly camera: TargetCamera;
  private readonly idTarget: RenderTargetTexture;
  private readonly prototypes = new Map<string, Mesh>();
  private readonly textures = new Map<string, Texture>();
  private readonly slots = new Map<string, Slot[]>();
  private lights: Light[] = [];
  private shadowGenerators: (ShadowGenerator | undefined)[] = [];
  /** Kind (type and shadows) of each pool light. */
  private lightKinds: string[] = [];
  private uploadError: string | undefined;
  private readonly gl: WebGL2RenderingContext;
  private readonly colorPixels: Uint8Array<ArrayBuffer>;
  private readonly idPixels: Uint8Array<ArrayBuffer>;
  /** Made at the first job with a backdrop (scenes without one never draw it). */
  private backdrop: { mesh: Mesh; gradient: ShaderMaterial; image: ShaderMaterial; textures: Map<string, Texture> } | undefined;

  constructor(private readonly init: PageInit, canvas: HTMLCanvasElement) {
    canvas.width = init.width;
    canvas.height = init.height;
    this.engine = new Engine(canvas, init.samples > 1, {
      preserveDrawingBuffer: false,
      stencil: false,
      antialias: init.samples > 1,
      adaptToDeviceRatio: false,
      powerPreference: 'high-performance',
    }, false);
    // Babylon quietly falls back to WebGL 1; the driver must hear of it to try another backend.
    if (this.engine.webGLVersion < 2) throw new Error(`no WebGL 2 context (got WebGL ${this.engine.webGLVersion})`);
    this.engine.setSize(init.width, init.height);
    this.gl = (this.engine as unknown as { _gl: WebGL2RenderingContext })._gl;
    this.scene = new Scene(this.engine);
    this.scene.useRightHandedSystem = true;
    this.scene.skipPointerMovePicking = true;
    this.scene.autoClear = true;
    this.camera = new TargetCamera('camera', Vector3.Zero(), this.scene);
    // Everything arrives in camera coordinates: the view is the identity, always.
    const identity = Matrix.Identity();
    this.camera.getViewMatrix = () => identity;
    this.scene.activeCamera = this.camera;
    this.idTarget = new RenderTargetTexture('instance-depth', { width: init.width, height: init.height }, this.scene, {
      generateMipMaps: false,
      type: Constants.TEXTURETYPE_UNSIGNED_BYTE,
      samplingMode: Constants.TEXTURE_NEAREST_SAMPLINGMODE,
      generateDepthBuffer: true,
      generateStencilBuffer: false,
      samples: 1,
    });
    this.idTarget.clearColor = new Color4(0, 0, 0, 0);
    this.idTarget.renderList = [];
    this.colorPixels = new Uint8Array(init.width * init.height * 4);
    this.idPixels = new Uint8Array(init.width * init.height * 4);
  }

  /** Loads the meshes and textures; returns the textures the browser could not decode. */
  async load(): Promise<PageInitResult['failedTextures']> {
    for (const asset of this.init.meshes) {
      const response = await fetch(asset.url);
      if (!response.ok) throw new Error(`mesh ${asset.key}: HTTP ${response.status}`);
      const buffer = await response.arrayBuffer();
      const header = new Uint32Array(buffer, 0, 3);
      const vertexCount = header[0];
      const indexCount = header[1];
      const hasUvs = header[2] === 1;
      let offset = 12;
      const positions = new Float32Array(buffer, offset, vertexCount * 3);
      offset += vertexCount * 12;
      const normals = new Float32Array(buffer, offset, vertexCount * 3);
      offset += vertexCount * 12;
      const uvs = hasUvs ? new Float32Array(buffer, offset, vertexCount * 2) : undefined;
      if (hasUvs) offset += vertexCount * 8;
      const indices = new Uint32Array(buffer, offset, indexCount);
      const mesh = new Mesh(`proto-${asset.key}`, this.scene);
      const data = new VertexData();
      data.positions = positions;
      data.normals = normals;
      if (uvs) data.uvs = uvs;
      data.indices = indices;
      data.applyToMesh(mesh, false);
      mesh.setEnabled(false);
      mesh.isPickable = false;
      this.prototypes.set(asset.key, mesh);
      this.slots.set(asset.key, []);
    }
    // Trilinear without anisotropic filtering (Babylon's default level is 4): on llvmpipe, level 4
    // cost ~15 ms of rasterizer time per 640x480 frame of textured table and objects, trilinear
    // alone ~0; surfaces at grazing angles come out a little softer.
    // TriMesh v runs up from the image's bottom row: GL's t = 0 is the first row uploaded, so the
    // rows go up bottom first (invertY).
    const failed: PageInitResult['failedTextures'] = [];
    await Promise.all((this.init.textures ?? []).map((asset) => new Promise<void>((resolve) => {
      const texture: Texture = new Texture(asset.url, this.scene, false, true, Texture.TRILINEAR_SAMPLINGMODE,
        () => { texture.anisotropicFilteringLevel = 1; this.textures.set(asset.key, texture); resolve(); },
        (message) => { failed.push({ key: asset.key, error: message ?? 'unknown error' }); texture.dispose(); resolve(); });
    })));
    return failed;
  }

  /** The slot's copy of a texture at this scale, or null (unknown or undecodable key, or no UVs). */
  private slotTexture(slot: Slot, key: string | undefined, scale: [number, number] | undefined): Texture | null {
    if (key === undefined || !slot.hasUvs) return null;
    const shared = this.textures.get(key);
    if (!shared) return null;
    let texture = slot.textures.get(key);
    if (!texture) {
      texture = shared.clone();
      slot.textures.set(key, texture);
    }
    const [u, v] = scale ?? [1, 1];
    if (texture.uScale !== u || texture.vScale !== v) {
      texture.uScale = u;
      texture.vScale = v;
      // Whether the shader applies a texture matrix is a define: recompute the defines.
      slot.pbr.markAsDirty(Material.TextureDirtyFlag);
    }
    return texture;
  }

  private slot(key: string, index: number): Slot {
    const list = this.slots.get(key);
    const proto = this.prototypes.get(key);
    if (!list || !proto) throw new Error(`unknown mesh ${key}`);
    while (list.length <= index) {
      const mesh = proto.clone(`${key}-${list.length}`, null, true, false) as Mesh;
      mesh.rotationQuaternion = new Quaternion();
      // Our meshes wind counter-clockwise (front faces), as OpenGL, glTF and STL do.
      mesh.sideOrientation = Material.CounterClockWiseSideOrientation;
      mesh.isPickable = false;
      mesh.alwaysSelectAsActiveMesh = true;
      const pbr = new PBRMaterial(`${key}-${list.length}-pbr`, this.scene);
      pbr.backFaceCulling = true;
      // Scene files may ask for up to 8 lights (Babylon's default is 4 per material).
      pbr.maxSimultaneousLights = 8;
      // Otherwise Babylon draws with the previous shader while a changed one (a texture set or
      // cleared, a new scale) compiles, and isReady() says yes: a frame would depend on timing.
      pbr.allowShaderHotSwapping = false;
      mesh.material = pbr;
      const idMaterial = new ShaderMaterial(`${key}-${list.length}-id`, this.scene, { vertex: 'instanceDepth', fragment: 'instanceDepth' }, {
        attributes: ['position'],
        uniforms: ['world', 'viewProjection', 'idBytes', 'depthScale'],
      });
      idMaterial.backFaceCulling = true;
      this.idTarget.setMaterialForRendering(mesh, idMaterial);
      this.idTarget.renderList!.push(mesh);
      list.push({ mesh, pbr, idMaterial, hasUvs: proto.isVerticesDataPresent('uv'), textures: new Map() });
    }
    return list[index];
  }

  /**
   * Lights persist across frames in a pool: a frame enables the ones it uses and disables the rest,
   * so a changing light count reuses shadow maps and compiled shaders instead of making new ones
   * (which costs a shader round trip per frame). The pool keeps the job's order: Babylon sums lights
   * in the order of scene.lights, and a frame's bytes must not depend on which frames came before.
   */
  private setLights(lights: PageLight[]): void {
    const kind = (l: PageLight) => l.type === 'hemispheric' ? 'hemispheric' : `${l.type}:${l.shadows}`;
    // Each job light takes the next free pool light of its kind; usable when that keeps the order.
    let assignment: number[] | undefined = [];
    let cursor = -1;
    for (const spec of lights) {
      const next = this.lightKinds.findIndex((k, i) => i > cursor && k === kind(spec));
      if (next < 0) { assignment = undefined; break; }
      assignment.push(next);
      cursor = next;
    }
    if (!assignment) {
      for (const generator of this.shadowGenerators) generator?.dispose();
      for (const light of this.lights) light.dispose();
      this.lightKinds = lights.map(kind);
      this.lights = lights.map((spec, i) => {
        if (spec.type === 'directional') {
          const light = new DirectionalLight(`light-${i}`, new Vector3(0, 0, -1), this.scene);
          // The shadow frustum comes from the job: Babylon's automatic fit carries state between frames.
          light.autoUpdateExtends = false;
          light.autoCalcShadowZBounds = false;
          return light;
        }
        if (spec.type === 'point') return new PointLight(`light-${i}`, Vector3.Zero(), this.scene);
        return new HemisphericLight(`light-${i}`, new Vector3(0, 1, 0), this.scene);
      });
      this.shadowGenerators = lights.map((spec, i) => {
        if (spec.type === 'hemispheric' || !spec.shadows) return undefined;
        const generator = new ShadowGenerator(this.init.shadowMapSize, this.lights[i] as DirectionalLight | PointLight);
        generator.usePercentageCloserFiltering = true;
        generator.filteringQuality = ShadowGenerator.QUALITY_LOW;
        generator.bias = 0.01;
        generator.normalBias = 0.02;
        return generator;
      });
      assignment = lights.map((_, i) => i);
    }
    // An unused light without shadows stays on at intensity 0: it adds exact zeros, so the bytes are
    // those of a frame without it, and enabling or disabling a light would mark every material's
    // lights dirty (defines re-checked, another shader bound) at each change of the light count.
    // An unused shadow caster is switched off: its shadow map would cost a pass over the scene.
    const used = new Set(assignment);
    this.lights.forEach((light, i) => {
      const on = used.has(i) || !this.shadowGenerators[i];
      if (light.isEnabled() !== on) light.setEnabled(on);
      if (!used.has(i)) light.intensity = 0;
    });
    lights.forEach((spec, i) => {
      const light = this.lights[assignment[i]];
      if (spec.type === 'directional') {
        const directional = light as DirectionalLight;
        directional.direction.set(...spec.direction);
        directional.position.set(...spec.position);
        directional.shadowMinZ = spec.shadowRange.minZ;
        directional.shadowMaxZ = spec.shadowRange.maxZ;
        directional.shadowFrustumSize = spec.shadowRange.width;
      } else if (spec.type === 'point') {
        const point = light as PointLight;
        point.position.set(...spec.position);
        point.shadowMinZ = spec.shadowRange.minZ;
        point.shadowMaxZ = spec.shadowRange.maxZ;
      } else {
        const hemi = light as HemisphericLight;
        hemi.direction.set(...spec.direction);
        hemi.groundColor.set(...spec.groundColor);
      }
      light.diffuse.set(...spec.color);
      light.specular.set(...spec.color);
      light.intensity = spec.intensity;
    });
  }

  private placeItems(items: PageItem[]): void {
    const used = new Map<string, number>();
    for (const item of items) {
      const index = used.get(item.mesh) ?? 0;
      used.set(item.mesh, index + 1);
      const slot = this.slot(item.mesh, index);
      slot.mesh.setEnabled(true);
      Matrix.FromArray(item.matrix).decompose(slot.mesh.scaling, slot.mesh.rotationQuaternion!, slot.mesh.position);
      slot.pbr.albedoColor.set(item.color[0], item.color[1], item.color[2]);
      const texture = this.slotTexture(slot, item.texture, item.textureScale);
      if (slot.pbr.albedoTexture !== texture) slot.pbr.albedoTexture = texture;
      slot.pbr.metallic = item.metallic;
      slot.pbr.roughness = item.roughness;
      slot.mesh.receiveShadows = item.receiveShadows;
      slot.idMaterial.setVector2('idBytes', { x: item.id & 0xff, y: (item.id >> 8) & 0xff } as never);
      slot.idMaterial.setFloat('depthScale', 1e4);
      for (const generator of this.shadowGenerators) {
        if (!generator) continue;
        if (item.castShadows) generator.addShadowCaster(slot.mesh, false);
        else generator.removeShadowCaster(slot.mesh, false);
      }
    }
    for (const [key, list] of this.slots) {
      const count = used.get(key) ?? 0;
      for (let i = count; i < list.length; i++) list[i].mesh.setEnabled(false);
    }
  }

  /** Babylon skips a mesh whose shaders are still compiling: a frame must wait for all of them. */
  private async whenReady(): Promise<void> {
    // A material answers "ready" without looking when it was checked in the current render id (the
    // last frame's): a new id makes it re-check its defines (a texture set, lights changed), as
    // Babylon's own executeWhenReady does. Cheaper than checkReadyOnEveryCall, which re-checks at
    // every draw of every pass.
    const ready = () => {
      this.scene.incrementRenderId();
      return this.scene.isReady(true) && this.enabledSlots().every((slot) => slot.idMaterial.isReady(slot.mesh, false));
    };
    const started = performance.now();
    for (let i = 0; !ready(); i++) {
      if (performance.now() - started > 20_000) throw new Error('shaders did not compile within 20 s');
      // A shader from the cache is ready at the next task: yield without a timer's delay first.
      await (i < 20 ? nextTask() : new Promise((resolve) => setTimeout(resolve, 10)));
    }
  }

  /** The job's backdrop on the quad behind everything, or none: an unknown or undecodable image shows the clear colour. */
  private setBackdrop(backdrop: PageJob['backdrop']): void {
    const shared = backdrop?.type === 'image' ? this.textures.get(backdrop.texture) : undefined;
    if (!backdrop || (backdrop.type === 'image' && !shared)) {
      this.backdrop?.mesh.setEnabled(false);
      return;
    }
    if (!this.backdrop) {
      const mesh = new Mesh('backdrop', this.scene);
      const data = new VertexData();
      data.positions = [-1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 1, 0];
      data.indices = [0, 1, 2, 0, 2, 3];
      data.applyToMesh(mesh, false);
      mesh.isPickable = false;
      mesh.alwaysSelectAsActiveMesh = true;
      const material = (fragment: string, uniforms: string[], samplers: string[]) => {
        const m = new ShaderMaterial(`backdrop-${fragment}`, this.scene, { vertex: 'backdrop', fragment }, { attributes: ['position'], uniforms, samplers });
        m.backFaceCulling = false;
        m.disableDepthWrite = true;
        m.depthFunction = Constants.LEQUAL;
        m.setVector2('size', new Vector2(this.init.width, this.init.height));
        return m;
      };
      this.backdrop = {
        mesh,
        gradient: material('backdropGradient', ['size', 'top', 'bottom', 'direction'], []),
        image: material('backdropImage', ['size', 'crop'], ['image']),
        textures: new Map(),
      };
    }
    const { mesh, gradient, image, textures } = this.backdrop;
    mesh.setEnabled(true);
    if (backdrop.type === 'gradient') {
      gradient.setVector3('top', new Vector3(...backdrop.top));
      gradient.setVector3('bottom', new Vector3(...backdrop.bottom));
      gradient.setVector2('direction', new Vector2(...backdrop.direction));
      if (mesh.material !== gradient) mesh.material = gradient;
      return;
    }
    // Its own copy, clamped at the edges (the materials' copies repeat).
    let texture = textures.get(backdrop.texture);
    if (!texture) {
      texture = shared!.clone();
      texture.wrapU = Texture.CLAMP_ADDRESSMODE;
      texture.wrapV = Texture.CLAMP_ADDRESSMODE;
      textures.set(backdrop.texture, texture);
    }
    // Cover: the image's shorter side (relative to the frame's aspect) fills the frame, the other is cropped evenly.
    const { width, height } = shared!.getBaseSize();
    const ratio = (width / height) / (this.init.width / this.init.height);
    const [u, v] = ratio > 1 ? [1 / ratio, 1] : [1, ratio];
    image.setTexture('image', texture);
    image.setVector4('crop', new Vector4(u, v, (1 - u) / 2, (1 - v) / 2));
    if (mesh.material !== image) mesh.material = image;
  }

  private enabledSlots(): Slot[] {
    return [...this.slots.values()].flat().filter((slot) => slot.mesh.isEnabled());
  }

  async render(job: PageJob): Promise<PageTimings> {
    if (this.uploadError) throw new Error(this.uploadError);
    const t0 = performance.now();
    this.camera.freezeProjectionMatrix(Matrix.FromArray(job.projection));
    this.scene.clearColor = new Color4(job.clearColor[0], job.clearColor[1], job.clearColor[2], 1);
    this.setLights(job.lights);
    this.placeItems(job.items);
    this.setBackdrop(job.backdrop);
    const tr = performance.now();
    await this.whenReady();
    const readyMs = performance.now() - tr;
    const gl = this.gl;
    const { width, height } = this.init;
    // Instance/depth pass into its own single-sample target, then the colour pass on the canvas.
    this.scene.customRenderTargets = [this.idTarget];
    this.scene.render();
    const t1 = performance.now();
    const framebufferOf = (target: RenderTargetTexture) => (target.renderTarget as unknown as { _framebuffer: WebGLFramebuffer })._framebuffer;
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, this.colorPixels);
    gl.bindFramebuffer(gl.FRAMEBUFFER, framebufferOf(this.idTarget));
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, this.idPixels);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    const t2 = performance.now();
    if (job.uploadUrl) {
      // Blob copies the pixels, so the next frame can render while this upload is in flight.
      const body = new Blob([this.colorPixels, this.idPixels]);
      const frame = job.frame;
      fetch(job.uploadUrl, { method: 'POST', body }).then(
        (response) => { if (!response.ok) this.uploadError = `upload of frame ${frame} failed: HTTP ${response.status}`; },
        (error) => { this.uploadError = `upload of frame ${frame} failed: ${error}`; },
      );
    }
    return { renderMs: t1 - t0, readyMs, readMs: t2 - t1, uploadMs: performance.now() - t2 };
  }

  /** The last frame's pixels as read (rows bottom-up): colour RGBA8 and instance/depth RGBA8. */
  lastPixels(): { color: Uint8Array; instanceDepth: Uint8Array } {
    return { color: this.colorPixels, instanceDepth: this.idPixels };
  }

  glRenderer(): string {
    const gl = this.gl;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    return `${gl.getParameter(gl.VERSION)} | ${info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)}`;
  }
}

declare global {
  interface Window {
    robosynth: {
      init(init: PageInit): Promise<PageInitResult>;
      render(job: PageJob): Promise<PageTimings>;
      lastPixels(): { color: Uint8Array; instanceDepth: Uint8Array };
    };
  }
}

let renderer: PageRenderer | undefined;
window.robosynth = {
  async init(init: PageInit): Promise<PageInitResult> {
    const canvas = document.getElementById('canvas') as HTMLCanvasElement;
    renderer = new PageRenderer(init, canvas);
    const failedTextures = await renderer.load();
    return { glRenderer: renderer.glRenderer(), failedTextures };
  },
  render(job: PageJob): Promise<PageTimings> {
    if (!renderer) throw new Error('render before init');
    return renderer.render(job);
  },
  lastPixels() {
    if (!renderer) throw new Error('lastPixels before init');
    return renderer.lastPixels();
  },
};
