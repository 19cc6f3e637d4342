//===- LoomAttrs.td - Attributes of the loom dialect -------*- tablegen -*-===//

#ifndef LOOM_ATTRS_TD
#define LOOM_ATTRS_TD

include "dialects/loom/IR/LoomBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Loom_ActivationNone : I32EnumAttrCase<"none", 0>;
def Loom_ActivationGelu : I32EnumAttrCase<"gelu", 1>;
def Loom_ActivationRelu : I32EnumAttrCase<"relu", 2>;
def Loom_ActivationTanh : I32EnumAttrCase<"tanh", 3>;
def Loom_ActivationGeluErf : I32EnumAttrCase<"gelu_erf", 4>;
def Loom_ActivationSilu : I32EnumAttrCase<"silu", 5>;

// `gelu` is the tanh approximation (GPT-2's "gelu_new"), `gelu_erf` the
// exact GELU, `silu` is x·σ(x).
def Loom_ActivationKind : I32EnumAttr<"Activation",
    "an elementwise activation function",
    [Loom_ActivationNone, Loom_ActivationGelu, Loom_ActivationRelu,
     Loom_ActivationTanh, Loom_ActivationGeluErf, Loom_ActivationSilu]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::loom";
}

// Written #loom.activation<gelu> on its own; ops print just the keyword
// through the custom<Activation> directive.
def Loom_ActivationAttr : EnumAttr<Loom_Dialect, Loom_ActivationKind, "activation">;

def Loom_InitNormal : I32EnumAttrCase<"normal", 0>;
def Loom_InitUniform : I32EnumAttrCase<"uniform", 1>;
def Loom_InitZeros : I32EnumAttrCase<"zeros", 2>;
def Loom_InitOnes : I32EnumAttrCase<"ones", 3>;

def Loom_InitKind : I32EnumAttr<"InitKind", "a parameter initializer",
    [Loom_InitNormal, Loom_InitUniform, Loom_InitZeros, Loom_InitOnes]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::loom";
}

def Loom_InitAttr : AttrDef<Loom_Dialect, "Init"> {
  let mnemonic = "init";
  let summary = "How a parameter is initialized";
  let description = [{
    `normal(std)` draws from N(0, std²), `uniform(low, high)` from U[low, high),
    `zeros` and `ones` fill. The runtime draws from a generator seeded by the
    executable's `--seed` and the parameter's name, so every parameter's
    values are reproducible and independent of the order of the others.

    Examples: `#loom.init<normal(0.02)>`, `#loom.init<uniform(-0.125, 0.125)>`,
    `#loom.init<zeros>`.
  }];
  let parameters = (ins "InitKind":$kind, APFloatParameter<"std or low">:$a,
                        APFloatParameter<"high">:$b);
  let builders = [
    AttrBuilder<(ins "InitKind":$kind, CArg<"double", "0.0">:$a,
                     CArg<"double", "0.0">:$b), [{
      return $_get($_ctxt, kind, ::llvm::APFloat(a), ::llvm::APFloat(b));
    }]>
  ];
  let extraClassDeclaration = [{
    double getStd() const { return getA().convertToDouble(); }
    double getLow() const { return getA().convertToDouble(); }
    double getHigh() const { return getB().convertToDouble(); }
  }];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // LOOM_ATTRS_TD
