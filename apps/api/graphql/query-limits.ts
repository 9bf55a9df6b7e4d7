import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

export const MAX_QUERY_DEPTH = 8;
export const MAX_QUERY_FIELDS = 500;

/**
 * Refuses operations nested deeper than `maxDepth` or selecting more than `maxFields`
 * fields in all (fragments expanded), before anything executes: one request must not be
 * able to make the server walk an unbounded tree.
 */
export function queryLimits(maxDepth = MAX_QUERY_DEPTH, maxFields = MAX_QUERY_FIELDS) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions)
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);

    const measure = (set: SelectionSetNode, depth: number, seen: Set<string>): { depth: number; fields: number } => {
      let deepest = depth;
      let fields = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          fields += 1;
          if (sel.selectionSet) {
            const inner = measure(sel.selectionSet, depth + 1, seen);
            deepest = Math.max(deepest, inner.depth);
            fields += inner.fields;
          }
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          const inner = measure(sel.selectionSet, depth, seen);
          deepest = Math.max(deepest, inner.depth);
          fields += inner.fields;
        } else {
          const name = sel.name.value;
          const frag = fragments.get(name);
          if (!frag || seen.has(name)) continue; // Unknown or cyclic fragments are reported by the standard rules.
          const inner = measure(frag.selectionSet, depth, new Set([...seen, name]));
          deepest = Math.max(deepest, inner.depth);
          fields += inner.fields;
        }
        if (fields > maxFields) break;
      }
      return { depth: deepest, fields };
    };

    return {
      OperationDefinition(node) {
        const { depth, fields } = measure(node.selectionSet, 1, new Set());
        if (depth > maxDepth)
          context.reportError(
            new GraphQLError(`query is ${depth} levels deep; the limit is ${maxDepth}`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_DEEP' },
            }),
          );
        if (fields > maxFields)
          context.reportError(
            new GraphQLError(`query selects more than ${maxFields} fields; the limit is ${maxFields}`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_COSTLY' },
            }),
          );
      },
    };
  };
}
