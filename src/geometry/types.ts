/**
 * Plain data types shared by every view of a frame (physics, renderer, labels, writers).
 * World frame: right-handed, Z up, metres (as URDF and ROS).
 */

/** Row-major 3x3 rotation matrix, 9 numbers. */
export type Mat3 = number[];
export type Vec3 = [number, number, number];
/** Quaternion as [x, y, z, w]. */
export type Quat = [number, number, number, number];

/** A rigid transform: p_parent = R * p_child + t. */
export interface Pose {
  R: Mat3;
  t: Vec3;
}

/** An indexed triangle mesh in model coordinates (metres). Counter-clockwise front faces. */
export interface TriMesh {
  positions: Float32Array; // xyz per vertex
  normals: Float32Array; // xyz per vertex, unit length
  indices: Uint32Array; // 3 per triangle
  /**
   * Texture coordinates, 2 per vertex, when the mesh has them: u to the right and v up from the
   * image's bottom row (OpenGL/OBJ convention; glTF's top-down v is flipped when read).
   */
  uvs?: Float32Array;
}
