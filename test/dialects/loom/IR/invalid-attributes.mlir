// RUN: loom-opt %s -split-input-file -verify-diagnostics

// Every loom.* attribute is one the dialect lists (DiscardableAttributes.h),
// holding what it must, where it belongs: on a function argument, a
// function, the module or an op of any dialect.

// All of them in their places: no error.
module attributes {loom.model = "mlp", loom.profiled_ops = ["matmul", "add"]} {
  func.func @well_placed(%w: tensor<4x4xf32> {loom.param = "w", loom.init = #loom.init<normal(0.02)>},
                         %x: tensor<4x4xf32> {loom.input = "x"},
                         %dw: tensor<4x4xf32> {loom.grad = "w"},
                         %m: tensor<4x4xf32> {loom.state = "w.exp_avg"},
                         %lr: f32 {loom.hyper = "lr"}) -> tensor<4x4xf32>
      attributes {loom.arena_bytes = 64 : i64, loom.arena_buffers = 1 : i64,
                  loom.arena_lower_bound_bytes = 64 : i64, loom.unplanned_bytes = 64 : i64,
                  loom.allocs_left = 0 : i64, loom.largest_left_bytes = 0 : i64} {
    %0 = arith.addf %w, %x {loom.fusion_group = 3 : i64, loom.pack, loom.thread_block,
                            loom.recomputed, loom.scatter_add} : tensor<4x4xf32>
    return %0 : tensor<4x4xf32>
  }
}

// -----

// expected-error @+1 {{'loom.parm' is not an attribute of the loom dialect, which has loom.param, loom.input, loom.init, loom.grad, loom.state, loom.hyper, loom.model, loom.profiled_ops, loom.arena_bytes, loom.arena_buffers, loom.arena_lower_bound_bytes, loom.unplanned_bytes, loom.allocs_left, loom.largest_left_bytes, loom.fusion_group, loom.pack, loom.thread_block, loom.recomputed, loom.scatter_add}}
func.func @misspelt_argument_attribute(%w: tensor<4xf32> {loom.parm = "w"}) {
  return
}

// -----

// expected-error @+1 {{'loom.param' must be a string, not 3 : i64}}
func.func @parameter_name_not_a_string(%w: tensor<4xf32> {loom.param = 3 : i64}) {
  return
}

// -----

// expected-error @+1 {{'loom.init' must be an initializer (#loom.init<...>), not 1.000000e+00 : f32}}
func.func @initializer_not_an_init(%w: tensor<4xf32> {loom.param = "w", loom.init = 1.0 : f32}) {
  return
}

// -----

// expected-error @+1 {{'loom.pack' belongs on an op, not on an argument of 'func.func'}}
func.func @op_attribute_on_an_argument(%w: tensor<4xf32> {loom.pack}) {
  return
}

// -----

func.func @argument_attribute_on_an_op(%x: f32) -> f32 {
  // expected-error @+1 {{'loom.param' belongs on a function argument, not on 'arith.addf'}}
  %0 = arith.addf %x, %x {loom.param = "x"} : f32
  return %0 : f32
}

// -----

// expected-error @+1 {{'loom.model' belongs on the module, not on 'func.func'}}
func.func @model_name_on_a_function() attributes {loom.model = "mlp"} {
  return
}

// -----

func.func @plan_on_an_op(%x: f32) -> f32 {
  // expected-error @+1 {{'loom.arena_bytes' belongs on a function, not on 'arith.addf'}}
  %0 = arith.addf %x, %x {loom.arena_bytes = 64 : i64} : f32
  return %0 : f32
}

// -----

// expected-error @+1 {{'loom.arena_bytes' must be an integer, not "64"}}
func.func @plan_not_an_integer() attributes {loom.arena_bytes = "64"} {
  return
}

// -----

func.func @fusion_group_not_an_integer(%x: f32) -> f32 {
  // expected-error @+1 {{'loom.fusion_group' must be an integer, not "a"}}
  %0 = arith.addf %x, %x {loom.fusion_group = "a"} : f32
  return %0 : f32
}

// -----

func.func @pack_with_a_value(%x: f32) -> f32 {
  // expected-error @+1 {{'loom.pack' must be a unit attribute (present or absent), not 1 : i64}}
  %0 = arith.addf %x, %x {loom.pack = 1 : i64} : f32
  return %0 : f32
}

// -----

func.func @unknown_op_attribute(%x: f32) -> f32 {
  // expected-error @+1 {{'loom.fused' is not an attribute of the loom dialect, which has loom.param, loom.input, loom.init, loom.grad, loom.state, loom.hyper, loom.model, loom.profiled_ops, loom.arena_bytes, loom.arena_buffers, loom.arena_lower_bound_bytes, loom.unplanned_bytes, loom.allocs_left, loom.largest_left_bytes, loom.fusion_group, loom.pack, loom.thread_block, loom.recomputed, loom.scatter_add}}
  %0 = arith.addf %x, %x {loom.fused} : f32
  return %0 : f32
}

// -----

// expected-error @+1 {{'loom.profiled_ops' must be an array of strings, not ["matmul", 3]}}
module attributes {loom.profiled_ops = ["matmul", 3]} {
}

// -----

// expected-error @+1 {{'loom.profiled_costs' must be an array of f64 (array<f64: ...>), not [1.000000e+00, 2.000000e+00]}}
module attributes {loom.profiled_costs = [1.0, 2.0]} {
}
